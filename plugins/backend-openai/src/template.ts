/** The parts of a streamed chunk that decide what an event counts for. */
export interface StreamChunk {
  choices?: { delta?: { content?: string | null }; text?: string }[];
  usage?: unknown;
  timings?: unknown;
}

/** A chunk's text as the client reads it: the first choice's `delta.content`, else its `text`. */
export function chunkText(chunk: StreamChunk): string | undefined {
  const choice = chunk.choices?.[0];
  const text = choice?.delta?.content ?? choice?.text;
  return typeof text === 'string' ? text : undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The bytes around the text of a token event, learned from one event that was parsed, so that the
 * next events of the stream, which servers write from one template and which differ only in the
 * text, are read without JSON.parse (most of the client's CPU for a streamed answer).
 *
 * A payload `before + text + after` whose text has no `"`, no `\` and no control character is,
 * as JSON, the learned event with only that string changed: the same choice, no usage, no timings,
 * and that string as the text. `learn` makes sure of it by parsing the template with two different
 * stand-in texts and checking each comes back as the text, so a template is only ever kept for a
 * string that is the text; anything else goes on to JSON.parse, as before.
 */
export class EventTemplate {
  private before: Buffer | undefined;
  private after: Buffer | undefined;

  /**
   * Where the text of `buf[start, end)` lies if the payload fits the template: its end offset (the
   * text starts at `textStart`); -1 if it does not fit.
   */
  match(buf: Buffer, start: number, end: number): number {
    const before = this.before;
    if (before === undefined) return -1;
    const after = this.after!;
    const b = before.length;
    const a = after.length;
    if (end - start < b + a) return -1;
    if (buf.compare(before, 0, b, start, start + b) !== 0 || buf.compare(after, 0, a, end - a, end) !== 0) return -1;
    const stop = end - a;
    for (let i = start + b; i < stop; i++) {
      const c = buf[i]!;
      if (c === QUOTE || c === BACKSLASH || c < 0x20) return -1;
    }
    return stop;
  }

  /** Offset of the text in a payload that `match`ed at `start`. */
  textStart(start: number): number {
    return start + this.before!.length;
  }

  /**
   * Learns the template of a payload that was parsed into `chunk`, if it is a token event with a
   * text and nothing else that counts (usage, timings); otherwise keeps the one it had.
   */
  learn(payload: string, chunk: StreamChunk): void {
    if (!chunk.choices?.[0] || chunk.usage || chunk.timings) return;
    const text = chunkText(chunk);
    if (text === undefined) return;
    const key = typeof chunk.choices[0].delta?.content === 'string' ? '"content":' : '"text":';
    const at = payload.indexOf(key);
    if (at < 0 || payload.indexOf(key, at + key.length) >= 0) return;
    let open = at + key.length;
    while (payload.charCodeAt(open) === 0x20) open++;
    if (payload.charCodeAt(open) !== QUOTE) return;
    const close = payload.indexOf('"', open + 1);
    if (close < 0) return;
    const before = payload.slice(0, open + 1);
    const after = payload.slice(close);
    for (const probe of ['a', 'b']) {
      let parsed: StreamChunk;
      try {
        parsed = JSON.parse(before + probe + after) as StreamChunk;
      } catch {
        return;
      }
      if (!parsed?.choices?.[0] || parsed.usage || parsed.timings || chunkText(parsed) !== probe) return;
    }
    this.before = Buffer.from(before);
    this.after = Buffer.from(after);
  }
}
