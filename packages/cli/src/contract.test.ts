import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import type { BackendPlugin, Outcome } from '@llmbench/plugin-api';
import { mockServerControl, runBackendContract } from '@llmbench/plugin-api/testing';
import { builtinPlugins } from './builtins.js';

let server: MockHttpServer;

beforeAll(async () => {
  server = await startMockHttpServer({ mock: { latency: { model: 'tokens', ttft_ms: 5, itl_ms: 2 }, output_tokens: 6 } });
});

afterAll(() => server.close());

async function plugin(name: string): Promise<BackendPlugin> {
  return ((await import(builtinPlugins()[`backend:${name}`]!)) as { default: BackendPlugin }).default;
}

test.each([
  ['openai', {}],
  ['openai', { endpoint: 'completions' }],
  ['vllm', {}],
  ['lmstudio', {}],
  ['lmstudio', { api: 'native' }],
] as const)('backend %s %j passes the contract kit against the mock server', async (name, options) => {
  const checks = await runBackendContract({
    plugin: await plugin(name),
    options,
    server: mockServerControl(server.url),
    model: 'mock-model',
  });
  expect(checks.filter((c) => !c.passed)).toEqual([]);
  expect(checks.length).toBeGreaterThanOrEqual(18);
});

/** The openai backend with every outcome passed through `change`: a backend that gets something wrong. */
async function altered(change: (o: Outcome) => Outcome): Promise<BackendPlugin> {
  const base = await plugin('openai');
  return {
    ...base,
    create: async (ctx, options) => {
      const real = await base.create(ctx, options);
      return { ...real, send: async (req, signal) => change(await real.send(req, signal)) };
    },
  };
}

test('the kit notices a backend that breaks the contract', async () => {
  // A backend that swallows failures as successes: every fault check must fail.
  const lying = await altered((o) =>
    o.kind === 'aborted' ? { kind: 'aborted' } : { kind: 'ok', usage: { outputTokens: 1, source: 'server' } },
  );
  const checks = await runBackendContract({ plugin: lying, server: mockServerControl(server.url) });
  const failed = checks.filter((c) => !c.passed).map((c) => c.name);
  expect(failed).toEqual(
    expect.arrayContaining([
      'failure: http_500 becomes http_error 500',
      'failure: reset becomes connection_error',
      'stream: first token time is recorded after the send',
    ]),
  );
});

test('the kit notices times taken on another clock than ctx.clock', async () => {
  // Date.now() instead of ctx.clock: the engine would not believe these stamps; the kit says why.
  const wrongClock = await altered((o) => (o.kind === 'ok' ? { ...o, sentAt: Date.now() } : o));
  const checks = await runBackendContract({ plugin: wrongClock, server: mockServerControl(server.url) });
  expect(checks.filter((c) => !c.passed).map((c) => c.name)).toEqual([
    'json: sentAt and endedAt, when given, lie within the send() call, in order',
    'stream: first token time is recorded after the send',
    'stream: sentAt and endedAt, when given, lie within the send() call around the chunk times',
  ]);
});

test("backend-lmstudio native: LM Studio's own stats and the model load state reach the results", async () => {
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadScenario, runScenario } = await import('@llmbench/core');
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-lms-'));
  await writeFile(
    join(dir, 's.yaml'),
    `servers: [{ id: studio, url: "${server.url}", type: lm_studio, model: mock-model }]
backend: { use: lmstudio, options: { api: native } }
workload: { requests: 40 }
experiments: [{ name: a, strategy: { use: semaphore, options: { concurrency: 4 } } }]
reporters: []
`,
  );
  const scenario = await loadScenario(join(dir, 's.yaml'), { builtins: builtinPlugins(), env: {} });
  expect(scenario.servers[0]!.backend.resolved.ref).toBe('lmstudio');
  const { results, errors } = await runScenario(scenario, { version: 'test', threads: 1, out: { write() {}, isTTY: false } });
  expect(errors).toEqual([]);
  const s = results.experiments[0]!.summary;
  expect(s.successes).toBe(40);
  // The mock's schedule: first token after 5 ms; LM Studio reports it in seconds, we in ms.
  expect(s.server_ttft_ms!.p50).toBeCloseTo(5, 1);
  expect(s.server_tokens_per_second!.avg).toBeGreaterThan(0);
  expect(s.server_metrics.studio!.end).toEqual({ models_loaded: 1, model_loaded: 1 });
});
