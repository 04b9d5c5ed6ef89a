import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { loadScenario, runScenario } from '@llmbench/core';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import type { ExperimentResult, RunResults } from '@llmbench/plugin-api';
import { builtinPlugins } from './builtins.js';

/**
 * The first seed's question, one studio against three, checked end to end: real HTTP to loopback
 * mock servers (LM Studio dialect, fixed response time: the seed's 0.49 s scaled down), counted on
 * the servers' side.
 */
const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const bin = join(root, 'packages/cli/bin/llmbench.js');
const MODEL = 'mistral-7b-instruct-v0.2';
const CAP = 5;

let servers: MockHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
  servers = [];
});

async function startStudios(latenciesMs: readonly number[], ports?: readonly number[]): Promise<MockHttpServer[]> {
  servers = await Promise.all(
    latenciesMs.map((ms, i) =>
      startMockHttpServer({ port: ports?.[i] ?? 0, mock: { latency: { model: 'fixed', ms }, seed: i + 1 }, models: [MODEL] }),
    ),
  );
  return servers;
}

/** A seed workers file for the running studios. */
async function workersFile(dir: string, studios: readonly MockHttpServer[]): Promise<string> {
  const file = join(dir, 'workers.json');
  const workers = studios.map((s, i) => ({
    id: `mac-studio-${i + 1}`,
    host: '127.0.0.1',
    port: s.port,
    type: 'lm_studio',
    model: MODEL,
    max_concurrent_requests: CAP,
  }));
  await writeFile(file, JSON.stringify({ workers }));
  return file;
}

async function run(yaml: string, options: { threads?: number; signal?: AbortSignal } = {}): Promise<RunResults> {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-cluster-'));
  const file = join(dir, 'scenario.yaml');
  await workersFile(dir, servers);
  await writeFile(file, yaml);
  const scenario = await loadScenario(file, { builtins: builtinPlugins(), env: {} });
  const outcome = await runScenario(scenario, {
    version: 'test',
    threads: options.threads ?? 1,
    out: { write() {}, isTTY: false },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  expect(outcome.errors.map((e) => e.message)).toEqual([]);
  return outcome.results;
}

const point = (results: RunResults, name: string): ExperimentResult => {
  const found = results.experiments.find((e) => e.name === name);
  if (!found) throw new Error(`no point ${name} in ${results.experiments.map((e) => e.name).join(', ')}`);
  return found;
};

const shell = (script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((done) => {
    execFile(
      'bash',
      ['--norc', '--noprofile', '-euo', 'pipefail', '-c', script],
      { cwd, timeout: 120_000, env: { ...process.env, NO_COLOR: '1', LLMBENCH: bin } },
      (error, stdout, stderr) => {
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });

describe('one studio against three (caps 5, fixed response time)', () => {
  test('one server plateaus at cap / latency; three give at least 2.7x with the load spread evenly', async () => {
    const studios = await startStudios([40, 40, 40]);
    const results = await run(`
workers_file: workers.json
workload: { requests: 300 }
experiments:
  - name: single
    servers: [mac-studio-1]
    strategy: { use: scaling, options: { concurrency_levels: [5, 20] } }
  - name: cluster
    workload: { requests: 900 }
    strategy: { use: scaling, options: { concurrency_levels: [20] } }
reporters: []
`);
    const single5 = point(results, 'single/concurrency=5').summary;
    const single20 = point(results, 'single/concurrency=20').summary;
    const cluster = point(results, 'cluster').summary;
    // Plateau: past the cap, more concurrency only queues; throughput stays at cap / response time.
    const plateau = CAP / (single20.latency_ms!.avg / 1000);
    expect(single20.requests_per_second / plateau).toBeGreaterThan(0.9);
    expect(single20.requests_per_second / plateau).toBeLessThan(1.02);
    expect(single20.requests_per_second / single5.requests_per_second).toBeLessThan(1.1);
    expect(single20.queued_requests).toBeGreaterThan(200);
    // Three studios.
    expect(cluster.requests_per_second / single20.requests_per_second).toBeGreaterThanOrEqual(2.7);
    for (const s of cluster.servers) {
      expect(s.load_share).toBeGreaterThan(1 / 3 - 0.05);
      expect(s.load_share).toBeLessThan(1 / 3 + 0.05);
      expect(s.busy_fraction).toBeGreaterThan(0.9);
    }
    // The servers' own counters: every request arrived, no cap was ever exceeded.
    expect(studios.reduce((n, s) => n + s.stats().requests_received, 0)).toBe(300 + 300 + 900);
    expect(studios.map((s) => s.stats().max_in_flight)).toEqual([CAP, CAP, CAP]);
  });

  test('a studio twice as slow as the others gets clearly less than a third of the load', async () => {
    const studios = await startStudios([30, 30, 60]);
    const results = await run(`
workers_file: workers.json
workload: { requests: 400 }
experiments:
  - name: sweep
    strategy: { use: scaling, options: { concurrency_levels: [8, 20] } }
reporters: []
`);
    for (const name of ['sweep/concurrency=8', 'sweep/concurrency=20']) {
      const shares = point(results, name).summary.servers.map((s) => s.load_share);
      expect(shares[2], name).toBeLessThan(0.25);
    }
    // With room on the fast ones, the latency-aware default sends the slow one even less.
    const roomy = point(results, 'sweep/concurrency=8').summary.servers[2]!.load_share;
    const saturated = point(results, 'sweep/concurrency=20').summary.servers[2]!.load_share;
    expect(roomy).toBeLessThan(saturated);
    expect(Math.max(...studios.map((s) => s.stats().max_in_flight))).toBeLessThanOrEqual(CAP);
  });

  test.each([1, 2, 4])('with %i thread(s), no studio ever has more than its cap in flight under any policy', async (threads) => {
    const studios = await startStudios([5, 5, 5]);
    for (const policy of ['latency-aware', 'least-outstanding', 'round-robin']) {
      for (const s of studios) s.reset();
      const results = await run(
        `
workers_file: workers.json
balancer: ${policy}
workload: { requests: 300 }
experiments: [{ name: caps, strategy: { use: semaphore, options: { concurrency: 24 } } }]
reporters: []
`,
        { threads },
      );
      expect(
        studios.map((s) => s.stats().max_in_flight),
        policy,
      ).toEqual([CAP, CAP, CAP]);
      expect(studios.reduce((n, s) => n + s.stats().requests_received, 0)).toBe(300);
      expect(results.experiments[0]!.point.balancer.policy).toBe(policy);
    }
  });

  test('killing one of three mid-run: the run completes, its share moves to the others, failures are counted by kind', async () => {
    const studios = await startStudios([20, 20, 20]);
    const killed = studios[2]!;
    setTimeout(() => void killed.close(), 600);
    const results = await run(`
workers_file: workers.json
workload: { requests: 1500, timeout_ms: 5000 }
experiments: [{ name: kill, strategy: { use: semaphore, options: { concurrency: 15 } } }]
reporters: []
`);
    expect(results.status).toBe('completed');
    const s = results.experiments[0]!.summary;
    const [a, b, dead] = s.servers;
    // Nothing lost: every request ended as a success or a failure of some kind.
    expect(s.requests).toBe(1500);
    const failed = Object.values(s.failures).reduce((n, x) => n + x, 0);
    expect(s.successes + failed).toBe(1500);
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBe(dead!.requests - dead!.successes);
    expect(dead!.failures.connection_error + dead!.failures.protocol_error).toBe(failed);
    // The balancer took it out; the survivors took over its share.
    expect(dead!.ejections).toBeGreaterThanOrEqual(1);
    expect(dead!.load_share).toBeLessThan(0.2);
    expect(a!.load_share + b!.load_share).toBeGreaterThan(0.8);
    // The survivors' own counters match what the client says they answered.
    expect(studios[0]!.stats().responses_ok + studios[1]!.stats().responses_ok).toBe(a!.successes + b!.successes);
  });
});

describe('the seed guide, as written', () => {
  const SEED_PORTS = [1234, 1235, 1236];

  test('its benchmark loop, jq one-liners and comparison script run unchanged on llmbench benchmark output', async () => {
    await startStudios([40, 40, 40], SEED_PORTS);
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-seed-'));
    const config = join(root, 'scenarios/workers');
    const python = `
import json

# Load results
single = json.load(open('results_single.json'))
multiple = json.load(open('results_multiple.json'))

print("PERFORMANCE COMPARISON")
print("=" * 70)
print(f"{'Concurrency':<12} {'Single (req/s)':<15} {'Multiple (req/s)':<17} {'Speedup':<10}")
print("-" * 70)

for s, m in zip(single['concurrency_benchmark'], multiple['concurrency_benchmark']):
    conc = s['concurrency']
    single_rps = s['requests_per_second']
    multi_rps = m['requests_per_second']
    speedup = multi_rps / single_rps if single_rps > 0 else 0
    
    print(f"{conc:<12} {single_rps:<15.2f} {multi_rps:<17.2f} {speedup:<10.2f}x")
`;
    await writeFile(join(dir, 'compare.py'), python);
    const ran = await shell(
      `
llmbench() { node "$LLMBENCH" "$@"; }
# Step 2 of the guide
llmbench benchmark --config ${config}/single_studio.json --requests 100 --mode concurrency --concurrency-levels 5 10 20 --output results_single.json > /dev/null
llmbench benchmark --config ${config}/my_workers.json --requests 100 --mode concurrency --concurrency-levels 5 10 20 --output results_multiple.json > /dev/null
# Step 3, manual comparison
cat results_single.json | jq '.concurrency_benchmark[] | {concurrency, rps: .requests_per_second, success: .success_rate}'
cat results_multiple.json | jq '.concurrency_benchmark[] | {concurrency, rps: .requests_per_second, success: .success_rate}'
echo @@@
python3 compare.py
echo @@@
# Quick comparison commands
for config in single_studio my_workers; do
  echo "Testing $config"
  llmbench benchmark \\
    -c ${config}/\${config}.json \\
    --requests 50 \\
    --concurrency-levels 5 10 20 \\
    -o results_\${config}.json > /dev/null
done
echo "=== Single Studio ==="
jq '.concurrency_benchmark[] | "\\(.concurrency): \\(.requests_per_second) req/s"' results_single_studio.json
echo "=== Multiple Studios ==="
jq '.concurrency_benchmark[] | "\\(.concurrency): \\(.requests_per_second) req/s"' results_my_workers.json
`,
      dir,
    );
    expect(ran.stderr.replace(/^warning: .*\n/gm, '')).toBe('');
    expect(ran.code).toBe(0);
    const [manual, script, quick] = ran.stdout.split('@@@\n');
    const objects = JSON.parse(`[${manual!.trim().replace(/}\s*{/g, '},{')}]`) as {
      concurrency: number;
      rps: number;
      success: number;
    }[];
    expect(objects.map((o) => o.concurrency)).toEqual([5, 10, 20, 5, 10, 20]);
    expect(objects.every((o) => o.success === 100 && o.rps > 0)).toBe(true);
    const rows = script!
      .trim()
      .split('\n')
      .slice(4)
      .map((l) => l.trim().split(/\s+/));
    expect(rows.map((r) => Number(r[0]))).toEqual([5, 10, 20]);
    const speedups = rows.map((r) => Number(r[3]!.replace('x', '')));
    expect(speedups[0]).toBeGreaterThan(0.85); // 5 in flight fit on one studio either way
    expect(speedups[2]).toBeGreaterThan(2.4); // 20 in flight: three studios at their caps vs one
    expect(quick).toMatch(
      /=== Single Studio ===\n"5: [\d.]+ req\/s"\n"10: [\d.]+ req\/s"\n"20: [\d.]+ req\/s"\n=== Multiple Studios ===\n"5: /,
    );
    // llmbench compare: the same table from the two files, on the console and in Markdown.
    const compared = await shell(
      `node "$LLMBENCH" compare results_single.json results_multiple.json
node "$LLMBENCH" compare results_single.json results_multiple.json --format md -o comparison.md > /dev/null
cat comparison.md
echo '{"experiments": 3}' > bad.json
node "$LLMBENCH" compare results_single.json bad.json || echo "exit $?"`,
      dir,
    );
    expect(compared.stdout).toMatch(/Experiment\s+results_single \(req\/s\)\s+results_multiple \(req\/s\)\s+Speedup/);
    const row20 = compared.stdout.split('\n').find((l) => l.startsWith('concurrency/concurrency=20 '))!;
    expect(Number(row20.trim().split(/\s+/)[3]!.replace('x', ''))).toBeGreaterThan(2.4);
    expect(compared.stdout).toMatch(/^\| concurrency\/concurrency=20 \| [\d.,]+ \| [\d.,]+ \| [\d.]+x \|/m);
    expect(compared.stdout).toContain('exit 2');
    expect(compared.stderr).toMatch(/bad\.json:1:\d+ {2}experiments: 3 is a number/);
    // Scaling mode writes scaling_benchmark[] with speedup and efficiency.
    const scaling = await shell(
      `node "$LLMBENCH" benchmark -c ${config}/my_workers.json --mode scaling --requests 60 --worker-counts 1 2 3 -o scaling.json > /dev/null
jq -c '.scaling_benchmark[] | {num_workers, concurrency, speedup, scaling_efficiency}' scaling.json`,
      dir,
    );
    expect(scaling.code).toBe(0);
    const entries = scaling.stdout
      .trim()
      .split('\n')
      .map(
        (l) => JSON.parse(l) as { num_workers: number; concurrency: number; speedup: number; scaling_efficiency: number | null },
      );
    expect(entries.map((e) => [e.num_workers, e.concurrency])).toEqual([
      [1, 5],
      [2, 10],
      [3, 15],
    ]);
    expect(entries[0]!.scaling_efficiency).toBeNull();
    expect(entries[2]!.speedup).toBeGreaterThan(2.2);
    expect(entries[2]!.scaling_efficiency).toBeGreaterThan(0.7);
    // One worker's scaling test is a single point ("scaling"); compare still matches it to servers=1.
    const matched = await shell(
      `node "$LLMBENCH" benchmark -c ${config}/single_studio.json --mode scaling --requests 60 --runs 2 -o scaling_single.json > single.out
node "$LLMBENCH" compare scaling_single.json scaling.json`,
      dir,
    );
    expect(matched.code).toBe(0);
    // The guide's habits by default and on request: workers warmed up (the count said), runs repeated.
    expect(await readFile(join(dir, 'single.out'), 'utf8')).toContain('benchmark: 10 warm-up requests before each point');
    const single = JSON.parse(await readFile(join(dir, 'scaling_single.json'), 'utf8')) as { results: RunResults };
    expect(single.results.experiments.map((e) => e.runs.length)).toEqual([2]);
    const one = matched.stdout.split('\n').find((l) => l.startsWith('scaling/servers=1 '))!;
    expect(
      one
        .trim()
        .split(/\s+/)
        .slice(1, 4)
        .every((cell) => cell !== '-'),
    ).toBe(true);
  });

  test.each(['concurrency-scaling', 'worker-scaling', 'single-vs-cluster', 'process-directory'])(
    'scenarios/%s.yaml runs end to end against three mock studios',
    async (name) => {
      await startStudios([40, 40, 40], SEED_PORTS);
      const out = await mkdtemp(join(tmpdir(), `llmbench-${name}-`));
      const ran = await shell(`node "$LLMBENCH" run ${join(root, 'scenarios', `${name}.yaml`)} --out ${out}`, root);
      expect(ran.stderr.replace(/^warning: .*\n/gm, '')).toBe('');
      expect(ran.code).toBe(0);
      const files = await readdir(out);
      const resultsFile = files.find((f) => f.endsWith('.json') && !f.includes('-benchmark-'))!;
      const results = JSON.parse(await readFile(join(out, resultsFile), 'utf8')) as RunResults;
      expect(results.status).toBe('completed');
      expect(results.passed).toBe(true);
      const last = results.experiments.at(-1)!;
      if (name === 'process-directory') {
        const [single, three] = results.experiments.map((e) => e.summary);
        expect(single!.requests + three!.requests).toBe(1000);
        expect(single!.wall_time_s / three!.wall_time_s).toBeGreaterThan(2.5);
        for (const s of three!.servers) expect(Math.abs(s.load_share - 1 / 3)).toBeLessThan(0.05);
        return;
      }
      expect(last.sweep?.index).toBe(results.experiments.filter((e) => e.experiment === last.experiment).length - 1);
      if (name === 'worker-scaling') {
        expect(results.experiments.map((e) => e.point.servers.length)).toEqual([1, 2, 3]);
        // A smoke check: 50 requests at concurrency 15 is 3 1/3 waves, so the last wave runs a third
        // full; the >= 2.7x acceptance is measured above with enough requests.
        expect(last.sweep!.efficiency).toBeGreaterThan(0.6);
      }
    },
  );
});
