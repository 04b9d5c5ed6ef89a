import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import type { Backend, BackendContext, BenchRequest, Logger } from '@llmbench/plugin-api';
import { mockServerControl, runBackendContract } from '@llmbench/plugin-api/testing';
import lmstudio from './index.js';

let mock: MockHttpServer;

beforeAll(async () => {
  mock = await startMockHttpServer({
    port: 0,
    mock: { latency: { model: 'tokens', ttft_ms: 5, itl_ms: 2 }, output_tokens: 6 },
    models: ['mock-model', 'other-model'],
  });
});

afterAll(() => mock.close());

/** A logger that keeps what was logged, by level. */
function keepingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (m) => void warnings.push(m), error: (m) => void warnings.push(`error: ${m}`) };
}

async function backend(
  url: string,
  options: Record<string, unknown>,
  model?: string,
  logger: Logger = keepingLogger(),
): Promise<Backend> {
  const ctx: BackendContext = {
    logger,
    clock: { now: () => performance.now() },
    scenarioDir: '.',
    seed: 1,
    server: { id: 'studio', url, maxConcurrentRequests: 4, ...(model === undefined ? {} : { model }) },
  };
  return lmstudio.create(ctx, lmstudio.options.parse(options));
}

const request: BenchRequest = {
  index: 0,
  messages: [{ role: 'user', content: 'hello' }],
  maxTokens: 8,
  stream: false,
  warmup: false,
};

/** A loopback server answering GET /api/v0/models with `body` (status `status`); nothing else. */
async function modelList(status: number, body: unknown): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/api/v0/models') {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('contract', () => {
  test.each([{ api: 'openai' }, { api: 'native' }])(
    '%j passes the backend contract kit against the mock server',
    async (options) => {
      const checks = await runBackendContract({
        plugin: lmstudio,
        options,
        server: mockServerControl(mock.url),
        model: 'mock-model',
      });
      expect(checks.filter((c) => !c.passed)).toEqual([]);
      expect(checks.length).toBeGreaterThanOrEqual(18);
    },
  );
});

describe('native API', () => {
  test("LM Studio's own stats become serverTiming: its TTFT in ms and its tokens/s", async () => {
    const b = await backend(mock.url, { api: 'native', check_model: false }, 'mock-model');
    const outcome = await b.send(request, new AbortController().signal);
    await b.teardown?.();
    expect(outcome.kind).toBe('ok');
    if (outcome.kind !== 'ok') return;
    // The mock reports time_to_first_token = its ttft_ms (5 ms) in seconds.
    expect(outcome.serverTiming?.ttftMs).toBeCloseTo(5, 9);
    expect(outcome.serverTiming?.tokensPerSecond).toBeGreaterThan(0);
    expect(outcome.usage).toMatchObject({ outputTokens: 6, source: 'server' });
  });

  test('the OpenAI-compatible API carries no server stats', async () => {
    const b = await backend(mock.url, { api: 'openai', check_model: false }, 'mock-model');
    const outcome = await b.send(request, new AbortController().signal);
    await b.teardown?.();
    expect(outcome).toMatchObject({ kind: 'ok' });
    expect(outcome.kind === 'ok' ? outcome.serverTiming : 'not ok').toBeUndefined();
  });
});

describe('check_model', () => {
  test('warns at setup when LM Studio lists no such model, naming the ones it has', async () => {
    const logger = keepingLogger();
    const b = await backend(mock.url, {}, 'missing-model', logger);
    await b.setup?.();
    await b.teardown?.();
    expect(logger.warnings).toEqual(['studio: LM Studio lists no model "missing-model" (have: mock-model, other-model)']);
  });

  test('warns at setup when the model is listed but not loaded', async () => {
    const server = await modelList(200, {
      object: 'list',
      data: [
        { id: 'big-model', state: 'not-loaded' },
        { id: 'small', state: 'loaded' },
      ],
    });
    const logger = keepingLogger();
    const b = await backend(server.url, {}, 'big-model', logger);
    await b.setup?.();
    await b.teardown?.();
    await server.close();
    expect(logger.warnings).toEqual([
      'studio: model "big-model" is not-loaded; the first requests will include loading it (use warmup)',
    ]);
  });

  test('says nothing for a loaded model, with check_model off, or when the server has no native model list', async () => {
    const missing = await modelList(404, { error: 'unknown route' });
    const logger = keepingLogger();
    for (const [url, options, model] of [
      [mock.url, {}, 'mock-model'],
      [mock.url, { check_model: false }, 'missing-model'],
      [missing.url, {}, 'mock-model'],
    ] as const) {
      const b = await backend(url, options, model, logger);
      await b.setup?.();
      await b.teardown?.();
    }
    await missing.close();
    expect(logger.warnings).toEqual([]);
  });
});

describe('server readings', () => {
  test("count the loaded models and whether this server's model is one of them", async () => {
    const server = await modelList(200, {
      data: [
        { id: 'a', state: 'loaded' },
        { id: 'b', state: 'not-loaded' },
        { id: 'c', state: 'loaded' },
      ],
    });
    const readings = async (model: string) => {
      const b = await backend(server.url, { check_model: false }, model);
      const r = await b.serverMetrics?.();
      await b.teardown?.();
      return r;
    };
    expect([await readings('a'), await readings('b')]).toEqual([
      { models_loaded: 2, model_loaded: 1 },
      { models_loaded: 2, model_loaded: 0 },
    ]);
    await server.close();
  });
});
