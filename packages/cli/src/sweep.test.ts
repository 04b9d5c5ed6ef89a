import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadScenario, runScenario } from '@llmbench/core';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import { RunResultsSchema, type ExperimentResult, type RunResults } from '@llmbench/plugin-api';
import { type Ran, runNode } from '@llmbench/test-support';
import { builtinPlugins } from './builtins.js';

/**
 * Rate sweeps end to end: paced points against a server of known capacity (fixed latency, a cap on
 * requests in flight), so which rates it keeps up with is known in advance.
 */
const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const bin = join(root, 'packages/cli/bin/llmbench.js');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmbench-sweep-'));
});

async function run(yaml: string): Promise<RunResults> {
  const file = join(dir, `s-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, yaml);
  const scenario = await loadScenario(file, { builtins: builtinPlugins(), env: {} });
  const outcome = await runScenario(scenario, { version: 'test', threads: 1, out: { write() {}, isTTY: false } });
  expect(outcome.errors.map((e) => e.message)).toEqual([]);
  return outcome.results;
}

const rates = (points: readonly ExperimentResult[]) => points.map((p) => [p.label, p.sweep?.offered_rps, p.sweep?.saturated]);

describe('in process, against the mock backend', () => {
  // 20 ms per request, at most 1 in flight: the server does 50 requests per second at best.
  const backend = 'backend: { use: mock, options: { latency: { model: fixed, ms: 20 } } }';

  test('rates: each rate is a point; the first rate beyond capacity is the saturation point', async () => {
    const results = await run(`${backend}
workload: { requests: 25 }
experiments: [{ name: r, strategy: { use: rate, options: { rates: [10, 25, 100], max_in_flight: 1 } } }]
reporters: []
`);
    expect(rates(results.experiments)).toEqual([
      ['rate=10', 10, false],
      ['rate=25', 25, false],
      ['rate=100', 100, true],
    ]);
    const [, , over] = results.experiments;
    expect(over!.sweep!.achieved_rps).toBeGreaterThan(35);
    expect(over!.sweep!.achieved_rps).toBeLessThan(52);
    expect(over!.sweep!.saturation_reason).toBe('throughput');
    expect(results.saturation).toEqual([
      {
        experiment: 'r',
        point: 'r/rate=100',
        offered_rps: 100,
        achieved_rps: over!.sweep!.achieved_rps,
        max_unsaturated_rps: 25,
      },
    ]);
  });

  test('sweep: a synchronous and a throughput point measure the range, then paced points run inside it', async () => {
    const results = await run(`${backend}
servers: [{ id: m, max_concurrent_requests: 2 }]
workload: { requests: 30 }
experiments: [{ name: g, strategy: { use: rate, options: { sweep: { rates: 2 }, max_in_flight: 8, arrivals: poisson } } }]
reporters: []
`);
    const [sync, thr, ...paced] = results.experiments;
    expect([sync!.label, thr!.label, sync!.point.concurrency, thr!.point.concurrency]).toEqual([
      'synchronous',
      'throughput',
      1,
      8,
    ]);
    // 1 in flight: about 50/s; 2 at the server: about 100/s.
    const low = sync!.summary.requests_per_second;
    const high = thr!.summary.requests_per_second;
    expect(low).toBeGreaterThan(35);
    expect(high).toBeGreaterThan(1.6 * low);
    expect(paced.map((p) => p.point.rate)).toEqual([
      Number((low + (high - low) / 2).toPrecision(4)),
      Number(high.toPrecision(4)),
    ]);
    expect(paced.map((p) => [p.point.arrivals, p.sweep!.offered_rps === p.point.rate])).toEqual([
      ['poisson', true],
      ['poisson', true],
    ]);
    expect(results.saturation?.map((s) => s.experiment)).toEqual(['g']);
  });

  test('gamma arrivals run, and the point records its arrivals and burstiness', async () => {
    const results = await run(`backend: { use: mock, options: { latency: { model: fixed, ms: 1 } } }
workload: { requests: 40 }
experiments: [{ name: b, strategy: { use: rate, options: { rate: 200, arrivals: gamma, burstiness: 0.25 } } }]
reporters: []
`);
    const [b] = results.experiments;
    expect(b!.point).toMatchObject({ rate: 200, arrivals: 'gamma', burstiness: 0.25 });
    expect(b!.params).toEqual({ rate: 200, arrivals: 'gamma', burstiness: 0.25 });
    expect(b!.summary.successes).toBe(40);
    expect(b!.sweep).toBeUndefined();
  });

  test('labels are carried into the results', async () => {
    const results = await run(`${backend}
labels: { gpu: A100, build: nightly }
workload: { requests: 2 }
experiments: [{ name: l, strategy: { use: semaphore, options: { concurrency: 1 } } }]
reporters: []
`);
    expect(results.labels).toEqual({ gpu: 'A100', build: 'nightly' });
    expect(RunResultsSchema.parse(results).labels).toEqual({ gpu: 'A100', build: 'nightly' });
  });
});

describe('Strategy.next', () => {
  async function strategyModule(body: string): Promise<string> {
    const file = join(dir, `strategy-${Math.random().toString(36).slice(2)}.mjs`);
    await writeFile(
      file,
      `export default { kind: 'strategy', name: 'planner', options: { safeParse: (v) => ({ success: true, data: v ?? {} }) }, create: () => (${body}) };\n`,
    );
    return file;
  }

  test('plans points from the ones measured, until it returns nothing; the runner sweeps them as one experiment', async () => {
    const file = await strategyModule(`{
      points: () => [{ label: 'c1', concurrency: 1 }],
      next: (done) => done.length < 3 ? [{ label: 'c' + (done.length + 1) * 2, concurrency: (done.length + 1) * 2, params: { seen: done.length } }] : undefined,
    }`);
    const results = await run(`backend: { use: mock, options: { latency: { model: fixed, ms: 1 } } }
workload: { requests: 4 }
experiments: [{ name: n, strategy: "${file}" }]
reporters: []
`);
    expect(results.experiments.map((e) => [e.name, e.point.concurrency, e.sweep?.index, e.params.seen])).toEqual([
      ['n/c1', 1, 0, undefined],
      ['n/c4', 4, 1, 1],
      ['n/c6', 6, 2, 2],
    ]);
  });

  test('a point it returns is checked like a planned one', async () => {
    const file = await strategyModule(
      `{ points: () => [{ concurrency: 1 }], next: () => [{ concurrency: 1, rate: 5, arrivals: 'gamma', burstiness: -1 }] }`,
    );
    const scenario = await loadScenario(
      await writeScenario(`backend: { use: mock, options: { latency: { model: fixed, ms: 1 } } }
workload: { requests: 2 }
experiments: [{ name: n, strategy: "${file}" }]
reporters: []
`),
      { builtins: builtinPlugins(), env: {} },
    );
    const outcome = await runScenario(scenario, { version: 'test', threads: 1, out: { write() {}, isTTY: false } });
    expect(outcome.results.status).toBe('failed');
    expect(outcome.results.experiments).toHaveLength(1);
    expect(outcome.errors.map((e) => e.message)).toEqual([
      `strategy ${file} of experiment "n" returned burstiness -1; it must be > 0`,
    ]);
  });

  async function writeScenario(yaml: string): Promise<string> {
    const file = join(dir, `s-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, yaml);
    return file;
  }
});

describe('the CLI, against a mock HTTP server', () => {
  let server: MockHttpServer;
  beforeAll(async () => {
    server = await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 20 } } });
  });
  afterAll(async () => {
    await server.close();
  });

  function llmbench(args: string[], cwd: string): Promise<Ran> {
    return runNode([bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 60_000 });
  }

  test('a rate sweep names its saturation point in the results, the console and the Markdown', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'llmbench-sweep-cli-'));
    // 20 ms per request and at most 2 in flight: 100 requests per second at best.
    await writeFile(
      join(cwd, 'sweep.yaml'),
      `name: sweep
labels: { gpu: none, purpose: e2e }
servers: [{ id: m, url: "${server.url}", backend: openai }]
workload: { requests: 40 }
experiments: [{ name: r, strategy: { use: rate, options: { rates: [20, 50, 200], max_in_flight: 2 } } }]
reporters:
  - console
  - { use: json, options: { output: "out/{scenario}.json" } }
  - { use: markdown, options: { output: "out/{scenario}.md" } }
`,
    );
    const ran = await llmbench(['run', 'sweep.yaml'], cwd);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const results = RunResultsSchema.parse(JSON.parse(await readFile(join(cwd, 'out/sweep.json'), 'utf8')));
    expect(results.experiments.map((e) => [e.name, e.sweep!.offered_rps, e.sweep!.saturated])).toEqual([
      ['r/rate=20', 20, false],
      ['r/rate=50', 50, false],
      ['r/rate=200', 200, true],
    ]);
    const achieved = results.experiments.map((e) => e.sweep!.achieved_rps!);
    expect(Math.abs(achieved[0]! / 20 - 1)).toBeLessThan(0.05);
    expect(Math.abs(achieved[1]! / 50 - 1)).toBeLessThan(0.05);
    expect(achieved[2]!).toBeGreaterThan(60);
    expect(achieved[2]!).toBeLessThan(105);
    expect(results.saturation).toEqual([
      { experiment: 'r', point: 'r/rate=200', offered_rps: 200, achieved_rps: achieved[2], max_unsaturated_rps: 50 },
    ]);
    expect(results.labels).toEqual({ gpu: 'none', purpose: 'e2e' });
    expect(ran.stdout).toContain('llmbench: sweep\nlabels: gpu=none, purpose=e2e\n');
    expect(ran.stdout).toContain('Offered / achieved: 200 / ');
    expect(ran.stdout).toContain('Saturation (r): first at r/rate=200, ');
    expect(ran.stdout).toContain('sustained up to 50.0 req/s.');
    const markdown = await readFile(join(cwd, 'out/sweep.md'), 'utf8');
    expect(markdown).toContain('**Saturation point:** `r/rate=200`: ');
    expect(markdown).toMatch(/\| rate=200 \| 1 \| 2 \| 200 req\/s \| [\d.]+ req\/s \| ⚠️ yes \(throughput\) \|/);
    expect(markdown).toContain('| Labels | gpu=none, purpose=e2e |');
  });
});
