import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadScenario, runScenario } from '@llmbench/core';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import { builtinPlugins } from './builtins.js';

let server: MockHttpServer;

beforeAll(async () => {
  server = await startMockHttpServer({
    mock: { latency: { model: 'uniform', min_ms: 1, max_ms: 3 } },
    // Every fault fails its request for sure: slow and stalled responses outlast the 300 ms timeout.
    faults: { rate: 0.1, slow_first_byte_ms: 700, stall_ms: 700 },
  });
});

afterAll(() => server.close());

test.each([1, 2])(
  'with faults on 1 request in 10, of every kind, every request is accounted for and successes match the server (%i threads)',
  async (threads) => {
    server.reset();
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-faults-'));
    const file = join(dir, 'faults.yaml');
    await writeFile(
      file,
      `servers: [{ id: mock, url: "${server.url}", backend: openai }]
workload: { requests: 700, timeout_ms: 300, max_tokens: 8 }
experiments:
  - { name: json, strategy: { use: semaphore, options: { concurrency: 16 } } }
  - { name: sse, strategy: { use: semaphore, options: { concurrency: 16 } }, workload: { stream: true } }
reporters: []
`,
    );
    const scenario = await loadScenario(file, { builtins: builtinPlugins(), env: {} });
    const { results, errors } = await runScenario(scenario, { version: 'test', threads, out: { write() {}, isTTY: false } });
    expect(errors).toEqual([]);
    expect(results.status).toBe('completed');

    const stats = server.stats();
    const sum = (f: (s: (typeof results.experiments)[number]['summary']) => number) =>
      results.experiments.reduce((n, e) => n + f(e.summary), 0);
    expect(sum((s) => s.requests)).toBe(1400);
    // A request reset on a reused connection before any byte of its answer is sent again, once: the
    // server sees one more request per reconnect, and the reconnects are counted, never hidden.
    const reconnects = sum((s) => s.reconnects);
    expect(reconnects).toBeGreaterThan(0);
    expect(reconnects).toBe(sum((s) => s.servers.reduce((n, v) => n + v.reconnects, 0)));
    expect(stats.requests_received).toBe(1400 + reconnects);
    for (const e of results.experiments) {
      const s = e.summary;
      const failures =
        s.failures.http_error + s.failures.timeout + s.failures.connection_error + s.failures.protocol_error + s.failures.aborted;
      expect(s.successes + failures).toBe(s.requests);
    }
    const injected = Object.values(stats.faults).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(100);
    expect(Object.values(stats.faults).every((n) => n > 0)).toBe(true);
    // Successes match what the server itself answered correctly, exactly; failures match faults by kind.
    expect(sum((s) => s.successes)).toBe(stats.responses_ok);
    expect(sum((s) => s.failures.http_error)).toBe(stats.faults.http_500 + stats.faults.http_429);
    expect(sum((s) => s.failures.timeout)).toBe(stats.faults.slow_first_byte + stats.faults.stall);
    // Every reset is a connection error but those resent (first attempts on a reused connection); a
    // connection that dies once the answer has begun is always a failure.
    expect(sum((s) => s.failures.connection_error)).toBe(stats.faults.reset - reconnects + stats.faults.reset_mid_answer);
    expect(sum((s) => s.failures.protocol_error)).toBe(stats.faults.malformed_json + stats.faults.malformed_sse);
    expect(sum((s) => s.failures.aborted)).toBe(0);
    // The server's Retry-After reaches the report with its 429s.
    const samples = results.experiments.flatMap((e) => e.summary.failure_samples);
    const limited = samples.filter((x) => x.message.startsWith('HTTP 429'));
    expect(limited.length).toBeGreaterThan(0);
    for (const x of limited) expect(x.message).toMatch(/^HTTP 429 \(Retry-After \d+(\.\d+)? s\)/);
    const rate = sum((s) => s.successes) / 1400;
    expect(rate).toBeCloseTo(stats.responses_ok / (stats.requests_received - reconnects), 10);
  },
);

test('the first-byte timeout fires within a tenth of its limit, counted from when the request is written', async () => {
  // Every request's headers come 2 s late; the limit is 200 ms (undici's own timer fired after ~1 s).
  const slow = await startMockHttpServer({
    mock: { latency: { model: 'fixed', ms: 1 } },
    faults: { rate: 1, kinds: ['slow_first_byte'], slow_first_byte_ms: 2000 },
  });
  try {
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-first-byte-'));
    await writeFile(
      join(dir, 's.yaml'),
      `servers: [{ id: slow, url: "${slow.url}", backend: { use: openai, options: { first_byte_timeout_ms: 200 } } }]
workload: { requests: 12, timeout_ms: 10000 }
experiments: [{ name: t, strategy: { use: semaphore, options: { concurrency: 4 } } }]
reporters: []
`,
    );
    const rawPath = join(dir, 'raw.jsonl');
    const scenario = await loadScenario(join(dir, 's.yaml'), { builtins: builtinPlugins(), env: {} });
    const { results, errors } = await runScenario(scenario, {
      version: 'test',
      threads: 1,
      rawPath,
      out: { write() {}, isTTY: false },
    });
    // Nothing succeeded, so the run fails as documented; its measurements are all there.
    expect(errors.map((e) => e.code)).toEqual(['NO_SUCCESS']);
    expect(results.status).toBe('failed');
    const s = results.experiments[0]!.summary;
    expect(s.failures.timeout).toBe(12);
    expect(s.failure_samples).toEqual([
      { kind: 'timeout', message: 'first_byte timeout: no response headers within 200 ms', count: 12 },
    ]);
    const { readFile } = await import('node:fs/promises');
    const latencies = (await readFile(rawPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { latency_ms: number }).latency_ms);
    for (const ms of latencies) {
      expect(ms).toBeGreaterThanOrEqual(200);
      // One sweep (20 ms) plus scheduling slack; the first wave also opens its connections (not counted).
      expect(ms).toBeLessThan(200 + 20 + 60);
    }
    expect(slow.stats().requests_received).toBe(12);
  } finally {
    await slow.close();
  }
});
