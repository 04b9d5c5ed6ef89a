const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Reads an event's payload as bytes, `buf[start, end)`, without decoding it; returns false to have
 * it decoded and passed to `onData` instead.
 */
export type SseBytesReader = (buf: Buffer, start: number, end: number) => boolean;

/**
 * Incremental Server-Sent Events parser working on Buffers: feed it chunks as they arrive, get each
 * `data:` payload once its line is complete. Only `data` fields matter for completion streams;
 * comments (`:`), `event:` and `id:` lines are skipped. Multi-line data is joined with "\n".
 * With `onBytes`, an event of one data line is first offered as bytes, and decoded only if declined.
 */
export class SseParser {
  /** The start of a line not yet complete: pieces kept as they came, joined once when its newline arrives. */
  private pending: Buffer[] = [];
  /** The event's first data line, kept as bytes until the event ends; later ones decoded. */
  private first: Buffer | undefined;
  private firstStart = 0;
  private firstEnd = 0;
  private more: string[] | undefined;

  constructor(
    private readonly onData: (payload: string) => void,
    private readonly onBytes?: SseBytesReader,
  ) {}

  /** Linear in the bytes pushed, however long a line is and however many chunks it spans. */
  push(chunk: Buffer): void {
    let start = 0;
    let nl = chunk.indexOf(NEWLINE);
    if (nl < 0) {
      if (chunk.length) this.pending.push(chunk);
      return;
    }
    if (this.pending.length) {
      // The line began in earlier chunks: join its pieces once, now that it is complete.
      const line = Buffer.concat([...this.pending, chunk.subarray(0, nl)]);
      this.pending = [];
      this.line(line, 0, line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    while (nl >= 0) {
      const end = nl > start && chunk[nl - 1] === CR ? nl - 1 : nl;
      this.line(chunk, start, end);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }

  /** Flushes a final event that was not followed by a blank line. */
  end(): void {
    if (this.pending.length) {
      const rest = Buffer.concat(this.pending);
      this.pending = [];
      if (rest.length) this.line(rest, 0, rest[rest.length - 1] === CR ? rest.length - 1 : rest.length);
    }
    this.dispatch();
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (end === start) {
      this.dispatch();
      return;
    }
    if (buf[start] === 0x3a) return; // ":" comment
    // "data:" followed by an optional space
    if (
      end - start >= 5 &&
      buf[start] === 0x64 &&
      buf[start + 1] === 0x61 &&
      buf[start + 2] === 0x74 &&
      buf[start + 3] === 0x61 &&
      buf[start + 4] === 0x3a
    ) {
      const from = buf[start + 5] === 0x20 ? start + 6 : start + 5;
      if (this.first === undefined) {
        this.first = buf;
        this.firstStart = from;
        this.firstEnd = end;
      } else {
        this.more ??= [];
        this.more.push(buf.toString('utf8', from, end));
      }
    }
  }

  private dispatch(): void {
    const buf = this.first;
    if (buf === undefined) return;
    this.first = undefined;
    const more = this.more;
    if (more === undefined) {
      if (this.onBytes?.(buf, this.firstStart, this.firstEnd)) return;
      this.onData(buf.toString('utf8', this.firstStart, this.firstEnd));
      return;
    }
    this.more = undefined;
    this.onData(`${buf.toString('utf8', this.firstStart, this.firstEnd)}\n${more.join('\n')}`);
  }
}
