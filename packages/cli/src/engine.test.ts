import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadScenario, runScenario } from '@llmbench/core';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import type { RunResults } from '@llmbench/plugin-api';
import { builtinPlugins } from './builtins.js';

/**
 * The engine's guarantees, checked where they matter: on the server. Each test runs real HTTP load
 * from worker threads against loopback mock servers that count what they receive.
 */
const servers: MockHttpServer[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmbench-engine-'));
  for (let i = 0; i < 3; i++) {
    servers.push(
      await startMockHttpServer({ mock: { latency: { model: 'uniform', min_ms: 1, max_ms: 4 }, seed: i + 1 }, trace: true }),
    );
  }
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function run(yaml: string, threads: number): Promise<RunResults> {
  for (const s of servers) s.reset();
  const file = join(dir, `s-${threads}-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, yaml);
  const scenario = await loadScenario(file, { builtins: builtinPlugins(), env: {} });
  const outcome = await runScenario(scenario, { version: 'test', threads, out: { write() {}, isTTY: false } });
  expect(outcome.errors.map((e) => e.message)).toEqual([]);
  return outcome.results;
}

const server = (i: number, cap?: number) =>
  `{ id: s${i}, url: "${servers[i]!.url}", backend: openai${cap === undefined ? '' : `, max_concurrent_requests: ${cap}`} }`;

describe.each([1, 2, 4])('with %i worker thread(s)', (threads) => {
  test('a semaphore of C never has more than C in flight at the server, and every request arrives once', async () => {
    const results = await run(
      `servers: [${server(0)}]
workload: { requests: 600 }
experiments: [{ name: sem, strategy: { use: semaphore, options: { concurrency: 7 } } }]
reporters: []
`,
      threads,
    );
    expect(servers[0]!.stats()).toMatchObject({ requests_received: 600, max_in_flight: 7, in_flight: 0 });
    expect(results.experiments[0]!.summary).toMatchObject({ requests: 600, successes: 600, max_in_flight: 7 });
  });

  test('a batch barrier: the server sees batch k+1 start only after all of batch k ended', async () => {
    const results = await run(
      `servers: [${server(0)}]
workload: { requests: 120 }
experiments: [{ name: bat, strategy: { use: batch, options: { size: 6 } } }]
reporters: []
`,
      threads,
    );
    const trace = [...servers[0]!.stats().trace!].map((r) => [r[0]!, r[1]!] as const).sort((a, b) => a[0] - b[0]);
    expect(trace).toHaveLength(120);
    for (let k = 1; k < 20; k++) {
      const previous = trace.slice((k - 1) * 6, k * 6);
      const current = trace.slice(k * 6, (k + 1) * 6);
      expect(Math.min(...current.map((r) => r[0]))).toBeGreaterThanOrEqual(Math.max(...previous.map((r) => r[1])));
    }
    expect(servers[0]!.stats().max_in_flight).toBe(6);
    expect(results.experiments[0]!.summary.barrier!.batches).toBe(20);
  });

  test('per-server max_concurrent_requests is never exceeded; the excess queues client-side', async () => {
    const results = await run(
      `servers: [${server(0, 2)}, ${server(1, 3)}, ${server(2, 4)}]
workload: { requests: 600 }
experiments: [{ name: caps, strategy: { use: semaphore, options: { concurrency: 12 } } }]
reporters: []
`,
      threads,
    );
    expect(servers.map((s) => s.stats().max_in_flight)).toEqual([2, 3, 4]);
    expect(servers.reduce((n, s) => n + s.stats().requests_received, 0)).toBe(600);
    const summary = results.experiments[0]!.summary;
    expect(summary.servers.map((s) => s.max_in_flight)).toEqual([2, 3, 4]);
    expect(Math.max(...summary.servers.map((s) => s.queue_ms?.max ?? 0))).toBeGreaterThan(0);
    expect(summary.queued_requests).toBeGreaterThan(0);
  });
});

test('raw records: one line per measured request, none for warmup, from every thread', async () => {
  const raw = join(dir, 'raw.jsonl');
  for (const s of servers) s.reset();
  const file = join(dir, 'raw.yaml');
  await writeFile(
    file,
    `servers: [${server(0)}]\nworkload: { requests: 300, warmup: 20 }\nexperiments: [{ name: r, strategy: { use: semaphore, options: { concurrency: 8 } } }]\nreporters: []\n`,
  );
  const scenario = await loadScenario(file, { builtins: builtinPlugins(), env: {} });
  await runScenario(scenario, { version: 'test', threads: 2, rawPath: raw, out: { write() {}, isTTY: false } });
  const lines = (await readFile(raw, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { index: number; thread: number; outcome: string });
  expect(lines).toHaveLength(300);
  expect(new Set(lines.map((l) => l.index)).size).toBe(300);
  expect(new Set(lines.map((l) => l.thread))).toEqual(new Set([0, 1]));
  expect(servers[0]!.stats().requests_received).toBe(320);
});
