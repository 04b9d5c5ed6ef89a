const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Incremental Server-Sent Events parser working on Buffers: feed it chunks as they arrive, get each
 * `data:` payload once its line is complete. Only `data` fields matter for completion streams;
 * comments (`:`), `event:` and `id:` lines are skipped. Multi-line data is joined with "\n".
 */
export class SseParser {
  private partial: Buffer | undefined;
  private data: string[] = [];

  constructor(private readonly onData: (payload: string) => void) {}

  push(chunk: Buffer): void {
    const buf = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
    this.partial = undefined;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NEWLINE, start);
      if (nl < 0) break;
      const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
      this.line(buf, start, end);
      start = nl + 1;
    }
    if (start < buf.length) this.partial = buf.subarray(start);
  }

  /** Flushes a final event that was not followed by a blank line. */
  end(): void {
    if (this.partial && this.partial.length) this.line(this.partial, 0, this.partial.length);
    this.partial = undefined;
    this.dispatch();
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (end === start) return this.dispatch();
    if (buf[start] === 0x3a) return; // ":" comment
    // "data:" followed by an optional space
    if (end - start >= 5 && buf[start] === 0x64 && buf[start + 1] === 0x61 && buf[start + 2] === 0x74 && buf[start + 3] === 0x61 && buf[start + 4] === 0x3a) {
      const from = buf[start + 5] === 0x20 ? start + 6 : start + 5;
      this.data.push(buf.toString('utf8', from, end));
    }
  }

  private dispatch(): void {
    if (this.data.length === 0) return;
    const payload = this.data.length === 1 ? this.data[0]! : this.data.join('\n');
    this.data = [];
    this.onData(payload);
  }
}
