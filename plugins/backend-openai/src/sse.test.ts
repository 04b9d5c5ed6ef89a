import { expect, test } from 'vitest';
import { SseParser } from './sse.js';

function parse(chunks: readonly (string | Buffer)[]): string[] {
  const out: string[] = [];
  const p = new SseParser((d) => out.push(d));
  for (const c of chunks) p.push(typeof c === 'string' ? Buffer.from(c) : c);
  p.end();
  return out;
}

test('events split anywhere, CRLF or LF, comments and other fields skipped, multi-line data joined', () => {
  const text = ': keep-alive\r\ndata: {"a":1}\r\n\r\nevent: x\nid: 7\ndata: one\ndata: two\n\ndata:{"b":2}\n\ndata: [DONE]\n\n';
  const whole = parse([text]);
  expect(whole).toEqual(['{"a":1}', 'one\ntwo', '{"b":2}', '[DONE]']);
  // Every split point, and byte by byte, give the same events.
  for (let i = 1; i < text.length; i++) expect(parse([text.slice(0, i), text.slice(i)])).toEqual(whole);
  expect(parse([...text])).toEqual(whole);
});

test('a final event without its blank line is still delivered at the end', () => {
  expect(parse(['data: last'])).toEqual(['last']);
  expect(parse(['data: la', 'st\r'])).toEqual(['last']);
});

test('a multi-byte character split across chunks arrives whole', () => {
  const bytes = Buffer.from('data: {"t":"é€😀"}\n\n');
  for (let i = 1; i < bytes.length; i++) expect(parse([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(['{"t":"é€😀"}']);
});

test('a long line arriving in many small chunks is joined once: linear, not quadratic, in its length', () => {
  // 8 MB in 64 KiB chunks. Joining on every chunk copies ~512 MB; once, 8 MB. Counted by bytes copied
  // through Buffer.concat, so the test does not depend on the machine's speed.
  const size = 8 * 1024 * 1024;
  const piece = 64 * 1024;
  const line = Buffer.alloc(size, 0x61);
  const concat = Buffer.concat;
  let copied = 0;
  Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
    const out = concat(list, total);
    copied += out.length;
    return out;
  }) as typeof Buffer.concat;
  try {
    const out: string[] = [];
    const p = new SseParser((d) => out.push(d));
    p.push(Buffer.from('data: '));
    for (let i = 0; i < size; i += piece) p.push(line.subarray(i, i + piece));
    p.push(Buffer.from('\n\n'));
    expect(out).toHaveLength(1);
    expect(out[0]!.length).toBe(size);
    expect(copied).toBeLessThan(2 * size);
  } finally {
    Buffer.concat = concat;
  }
});

test('with a bytes reader, one-line events are offered as bytes first and decoded only when declined', () => {
  const text = 'data: {"a":1}\n\ndata: keep\n\ndata: one\ndata: two\n\n';
  const offered: string[] = [];
  const decoded: string[] = [];
  const p = new SseParser(
    (d) => decoded.push(d),
    (buf, start, end) => {
      const payload = buf.toString('utf8', start, end);
      offered.push(payload);
      return payload === 'keep';
    },
  );
  for (const c of [text.slice(0, 9), text.slice(9)]) p.push(Buffer.from(c));
  p.end();
  expect(offered).toEqual(['{"a":1}', 'keep']);
  expect(decoded).toEqual(['{"a":1}', 'one\ntwo']);
});
