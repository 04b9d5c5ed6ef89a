import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import { mockServerControl, runBackendContract } from '@llmbench/plugin-api/testing';
import llamacpp from './index.js';

let server: MockHttpServer;

beforeAll(async () => {
  server = await startMockHttpServer({ mock: { latency: { model: 'tokens', ttft_ms: 5, itl_ms: 2 }, output_tokens: 6 } });
});

afterAll(() => server.close());

test.each([[{}], [{ endpoint: 'completions' }], [{ ignore_eos: true, cache_prompt: false, n_cache_reuse: 256 }]] as const)(
  'backend llamacpp %j passes the contract kit against the mock server',
  async (options) => {
    const checks = await runBackendContract({
      plugin: llamacpp,
      options,
      server: mockServerControl(server.url),
      model: 'mock-model',
    });
    expect(checks.filter((c) => !c.passed)).toEqual([]);
    expect(checks.length).toBeGreaterThanOrEqual(18);
  },
);
