import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { BenchRequest, Outcome } from '@llmbench/plugin-api';
import { loopbackBackend } from './__fixtures__/loopback.js';

/** A loopback server answering "Hello, world." as JSON or as three SSE deltas. */
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
      if (!stream) {
        const payload = JSON.stringify({
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hello, world.' } }],
          usage: { prompt_tokens: 3, completion_tokens: 4 },
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
        return void res.end(payload);
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const part of ['Hello', ', ', 'world.'])
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: part } }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function send(stream: boolean, keepText: boolean): Promise<Outcome> {
  const b = await loopbackBackend(url);
  const request: BenchRequest = { index: 0, messages: [{ role: 'user', content: 'hi' }], stream, warmup: false, keepText };
  try {
    return await b.send(request, new AbortController().signal);
  } finally {
    await b.teardown?.();
  }
}

test.each([false, true])('with keepText the answer text comes back (stream: %s)', async (stream) => {
  expect(await send(stream, true)).toMatchObject({ kind: 'ok', text: 'Hello, world.' });
});

test.each([false, true])('without keepText no text is kept (stream: %s)', async (stream) => {
  const outcome = await send(stream, false);
  expect(outcome.kind).toBe('ok');
  expect('text' in outcome).toBe(false);
});
