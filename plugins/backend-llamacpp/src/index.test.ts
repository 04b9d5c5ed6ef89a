import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import type { Backend, Logger } from '@llmbench/plugin-api';
import llamacpp from './index.js';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

interface Answer {
  status: number;
  body: string;
}

interface Loopback {
  url: string;
  /** Every request the server got: `METHOD /path`, and its body. */
  seen: { line: string; body: string }[];
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A loopback server answering `METHOD /path` from `routes` (404 otherwise), recording what it got. */
async function loopback(routes: Record<string, Answer>): Promise<Loopback> {
  const seen: Loopback['seen'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const line = `${req.method} ${req.url}`;
      seen.push({ line, body: Buffer.concat(chunks).toString('utf8') });
      const answer = routes[line] ?? { status: 404, body: '{"error":{"code":404,"message":"File Not Found"}}' };
      res.writeHead(answer.status, {
        'content-type': answer.body.startsWith('{') || answer.body.startsWith('[') ? 'application/json' : 'text/plain',
      });
      res.end(answer.body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function backend(url: string, options: Record<string, unknown> = {}): Promise<{ backend: Backend; warnings: string[] }> {
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} };
  const parsed = llamacpp.options.parse(options);
  const created = await llamacpp.create(
    {
      logger,
      clock: { now: () => performance.now() },
      scenarioDir: '.',
      seed: 1,
      server: { id: 'llama', url, maxConcurrentRequests: Infinity },
    },
    parsed,
  );
  return { backend: created, warnings };
}

const ok = (body: string): Answer => ({ status: 200, body });

test('serverInfo takes the slot count and the model alias from /props', async () => {
  const server = await loopback({ 'GET /props': ok(fixture('props.json')) });
  const { backend: b, warnings } = await backend(server.url);
  expect(await b.serverInfo!()).toEqual({
    url: server.url,
    model: '/work/shared/llama-server/models/tiny-llama.gguf',
    maxConcurrentRequests: 8,
  });
  expect(warnings).toEqual([]);
  await b.teardown!();
});

test('serverInfo names the model by its file when /props has no alias, else by /v1/models', async () => {
  const noAlias = await loopback({
    'GET /props': ok(JSON.stringify({ total_slots: 4, model_path: '/models/qwen2.5-0.5b-q8_0.gguf' })),
  });
  const a = await backend(noAlias.url);
  expect(await a.backend.serverInfo!()).toEqual({ url: noAlias.url, model: 'qwen2.5-0.5b-q8_0.gguf', maxConcurrentRequests: 4 });

  const modelsOnly = await loopback({
    'GET /v1/models': ok(JSON.stringify({ object: 'list', data: [{ id: 'qwen', object: 'model' }] })),
  });
  const b = await backend(modelsOnly.url);
  expect(await b.backend.serverInfo!()).toEqual({ url: modelsOnly.url, model: 'qwen' });
  expect(b.warnings).toEqual([
    'llama: cannot read /props (GET /props answered 404: File Not Found); max_concurrent_requests stay as the scenario sets them',
  ]);
  await a.backend.teardown!();
  await b.backend.teardown!();
});

test('a server that does not answer gives no server info beyond its URL, and one warning', async () => {
  const server = await loopback({});
  const url = server.url;
  await new Promise((resolve) => servers.pop()!.close(resolve));
  const { backend: b, warnings } = await backend(url);
  // Only what the backend knows itself: where it sends.
  expect(await b.serverInfo!()).toEqual({ url });
  expect(await b.serverInfo!()).toEqual({ url });
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(
    /^llama: cannot read \/props \(.*ECONNREFUSED.*\); max_concurrent_requests and the model stay as the scenario sets them$/,
  );
  await b.teardown!();
});

test('serverMetrics reads /metrics and counts the busy slots of /slots', async () => {
  const server = await loopback({ 'GET /metrics': ok(fixture('metrics.txt')), 'GET /slots': ok(fixture('slots-busy.json')) });
  const { backend: b, warnings } = await backend(server.url);
  expect(await b.serverMetrics!()).toMatchObject({
    prompt_tokens: 95,
    prompt_tokens_cached: 76,
    prefix_cache_hits: 76,
    prefix_cache_queries: 171,
    slots_processing: 3,
  });
  expect(warnings).toEqual([]);
  await b.teardown!();
});

test('a server with /slots off (501) gives no slots_processing, is not asked again and no warning', async () => {
  const server = await loopback({
    'GET /metrics': ok(fixture('metrics.txt')),
    'GET /slots': {
      status: 501,
      body: '{"error":{"code":501,"message":"This server does not support slots endpoint. Start it with `--slots`","type":"not_supported_error"}}',
    },
  });
  const { backend: b, warnings } = await backend(server.url);
  expect(await b.serverMetrics!()).not.toHaveProperty('slots_processing');
  expect(await b.serverMetrics!()).toHaveProperty('prompt_tokens', 95);
  expect(server.seen.map((s) => s.line)).toEqual(['GET /metrics', 'GET /slots', 'GET /metrics']);
  expect(warnings).toEqual([]);
  await b.teardown!();
});

test('vLLM metrics to the llamacpp backend: empty readings and one warning naming what it found', async () => {
  const vllm =
    'vllm:num_requests_running{engine="0",model_name="m"} 3.0\nvllm:prefix_cache_hits_total{engine="0",model_name="m"} 10.0\n';
  const server = await loopback({ 'GET /metrics': ok(vllm) });
  const { backend: b, warnings } = await backend(server.url, { sample_slots: false });
  expect(await b.serverMetrics!()).toEqual({});
  expect(await b.serverMetrics!()).toEqual({});
  expect(warnings).toEqual([
    'llama: GET /metrics answered without llamacpp: metrics (found vllm: metrics (vLLM)); use the vllm backend',
  ]);
  await b.teardown!();
});

test("a server without --metrics: no readings and one warning with llama.cpp's reason", async () => {
  const server = await loopback({
    'GET /metrics': {
      status: 501,
      body: '{"error":{"code":501,"message":"This server does not support metrics endpoint. Start it with `--metrics`","type":"not_supported_error"}}',
    },
  });
  const { backend: b, warnings } = await backend(server.url, { sample_slots: false });
  expect(await b.serverMetrics!()).toEqual({});
  expect(await b.serverMetrics!()).toEqual({});
  expect(warnings).toEqual([
    'llama: cannot read llama.cpp metrics (GET /metrics answered 501: This server does not support metrics endpoint. Start it with `--metrics`); no prompt-cache figures (start llama-server with --metrics, or set scrape_metrics: false)',
  ]);
  await b.teardown!();
});

test('request bodies carry ignore_eos, cache_prompt and n_cache_reuse; extra_body wins', async () => {
  const reply = JSON.stringify({
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }],
    usage: { prompt_tokens: 5, completion_tokens: 1 },
  });
  const server = await loopback({ 'POST /v1/chat/completions': ok(reply) });
  const { backend: b } = await backend(server.url, {
    ignore_eos: true,
    cache_prompt: false,
    n_cache_reuse: 256,
    extra_body: { n_cache_reuse: 64 },
  });
  const outcome = await b.send(
    { index: 0, messages: [{ role: 'user', content: 'x' }], maxTokens: 4, stream: false, warmup: false },
    new AbortController().signal,
  );
  expect(outcome.kind).toBe('ok');
  expect(JSON.parse(server.seen[0]!.body)).toEqual({
    messages: [{ role: 'user', content: 'x' }],
    max_tokens: 4,
    ignore_eos: true,
    cache_prompt: false,
    n_cache_reuse: 64,
  });
  await b.teardown!();
});

test('by default no llama.cpp field is sent', async () => {
  const reply = JSON.stringify({ choices: [{ index: 0, text: 'hi' }] });
  const server = await loopback({ 'POST /v1/completions': ok(reply) });
  const { backend: b } = await backend(server.url, { endpoint: 'completions' });
  await b.send(
    { index: 0, messages: [{ role: 'user', content: 'x' }], maxTokens: 4, stream: false, warmup: false },
    new AbortController().signal,
  );
  expect(JSON.parse(server.seen[0]!.body)).toEqual({ prompt: 'x', max_tokens: 4 });
  await b.teardown!();
});

test('erase_slots erases every slot before a load point; a server that refuses is warned about once', async () => {
  const props = ok(JSON.stringify({ total_slots: 3 }));
  const erase = (id: number): Answer => ok(JSON.stringify({ id_slot: id, n_erased: 10 }));
  const server = await loopback({
    'GET /props': props,
    'POST /slots/0?action=erase': erase(0),
    'POST /slots/1?action=erase': erase(1),
    'POST /slots/2?action=erase': erase(2),
  });
  const a = await backend(server.url, { erase_slots: true });
  await a.backend.prepare!();
  expect(server.seen.map((s) => s.line)).toEqual([
    'GET /props',
    'POST /slots/0?action=erase',
    'POST /slots/1?action=erase',
    'POST /slots/2?action=erase',
  ]);
  expect(a.warnings).toEqual([]);

  const refuse = {
    status: 501,
    body: '{"error":{"code":501,"message":"This server does not support slots action. Start it with `--slot-save-path`","type":"not_supported_error"}}',
  };
  const strict = await loopback({ 'GET /props': props, 'POST /slots/0?action=erase': refuse });
  const b = await backend(strict.url, { erase_slots: true });
  await b.backend.prepare!();
  await b.backend.prepare!();
  expect(b.warnings).toEqual([
    "llama: cannot erase the slots' prompt cache (POST /slots/0?action=erase answered 501: This server does not support slots action. Start it with `--slot-save-path`); experiments may reuse prompts cached by earlier ones. Start llama-server with --slot-save-path DIR to allow it, or set erase_slots: false",
  ]);
  await a.backend.teardown!();
  await b.backend.teardown!();
});
