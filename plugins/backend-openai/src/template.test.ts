import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { BenchRequest } from '@llmbench/plugin-api';
import { loopbackBackend } from './__fixtures__/loopback.js';
import { EventTemplate, chunkText, type StreamChunk } from './template.js';

const vllm = (text: string, extra = ''): string =>
  `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]${extra}}`;

function learned(payload: string): EventTemplate {
  const t = new EventTemplate();
  t.learn(payload, JSON.parse(payload) as StreamChunk);
  return t;
}

/** The text the template reads from `payload`, or undefined when it does not fit. */
function read(t: EventTemplate, payload: string): string | undefined {
  const buf = Buffer.from(`data: ${payload}\n`);
  const end = t.match(buf, 6, buf.length - 1);
  return end < 0 ? undefined : buf.toString('utf8', t.textStart(6), end);
}

test('an event that differs from the learned one only in its text is read as that text', () => {
  const t = learned(vllm(' Hello'));
  expect(read(t, vllm(' world'))).toBe(' world');
  expect(read(t, vllm('é€😀'))).toBe('é€😀');
  expect(read(t, vllm(''))).toBe('');
});

test('events the template cannot read exactly are left to JSON.parse', () => {
  const t = learned(vllm(' Hello'));
  expect(read(t, vllm('say "hi"'))).toBeUndefined(); // escapes
  expect(read(t, vllm('a\\b'))).toBeUndefined();
  expect(read(t, vllm('line\n'))).toBeUndefined();
  expect(read(t, vllm(' x', ',"usage":{"completion_tokens":3}'))).toBeUndefined(); // more than the text differs
  expect(read(t, vllm(' x').replace('chatcmpl-1', 'chatcmpl-2'))).toBeUndefined();
  expect(read(t, '{"choices":[]}')).toBeUndefined();
});

test('no template is learned from events that count for more than a text, or whose text is not where it seems', () => {
  const none = (payload: string) => read(learned(payload), payload);
  expect(none(vllm(' x', ',"usage":{"completion_tokens":3}'))).toBeUndefined();
  expect(none('{"choices":[{"delta":{"content":null},"finish_reason":"stop"}]}')).toBeUndefined();
  expect(none('{"choices":[],"usage":{"completion_tokens":3}}')).toBeUndefined();
  // Two "content" keys: which one JSON.parse reads is not for a byte scan to guess.
  expect(none('{"choices":[{"delta":{"content":"a"}}],"x":{"content":"a"}}')).toBeUndefined();
  // The text's key is escaped and a decoy with the same value is not: the stand-in texts tell them apart.
  expect(none('{"choices":[{"delta":{"cont\\u0065nt":"a"}}],"x":{"content":"a"}}')).toBeUndefined();
});

test('completions (choice.text) and spaced JSON are learned too', () => {
  const completion = (text: string) =>
    `{"id":"c","object":"text_completion","choices":[{"index":0,"text":${JSON.stringify(text)},"finish_reason":null}]}`;
  expect(read(learned(completion(' a')), completion(' b'))).toBe(' b');
  const spaced = (text: string) => `{"choices": [{"index": 0, "delta": {"content": ${JSON.stringify(text)}}}]}`;
  expect(read(learned(spaced(' a')), spaced(' b'))).toBe(' b');
});

test('an event read through its own template gives the text JSON.parse gives', () => {
  for (const payload of [
    vllm(' a'),
    vllm(''),
    '{"choices":[{"text":"t"}]}',
    '{"choices":[{"delta":{"content":"x"}}],"id":"y"}',
  ]) {
    expect(read(learned(payload), payload)).toBe(chunkText(JSON.parse(payload) as StreamChunk));
  }
});

/** A loopback server streaming events of every kind: templated, escaped, role-only, empty, finish, usage-less. */
let server: Server;
let url: string;
const parts = ['Hel', 'lo', ', "quoted"', '', ' wörld', '\\', '.', ' end'];
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: {"id":"x","choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n`);
      // Several events per write, and events split across writes.
      let out = '';
      for (const p of parts) out += `data: ${vllm(p)}\n\n`;
      res.write(out.slice(0, 301));
      res.write(out.slice(301));
      res.end(`data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a streamed answer counts every non-empty text once and keeps the text exactly, events templated or not', async () => {
  const b = await loopbackBackend(url);
  const request: BenchRequest = {
    index: 0,
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    warmup: false,
    keepText: true,
  };
  try {
    for (let i = 0; i < 3; i++) {
      const outcome = await b.send(request, new AbortController().signal);
      expect(outcome).toMatchObject({
        kind: 'ok',
        text: parts.join(''),
        usage: { outputTokens: parts.filter((p) => p !== '').length, source: 'counted' },
      });
      // One token event per chunk with choices: the role chunk, every part, the finish chunk.
      expect(outcome.kind === 'ok' ? outcome.chunkTimes : undefined).toHaveLength(parts.length + 2);
    }
  } finally {
    await b.teardown?.();
  }
});
