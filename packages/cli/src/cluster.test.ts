// Over 400 lines on purpose: the first seed guide's cluster questions end to end (one studio against
// three, uneven studios, caps under every policy, a studio killed mid-run, the guide's own commands).
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
 * the servers' side. Throughput is judged within each run (requests kept in flight, load shares),
 * never as a ratio of two separately timed runs, which moves with the machine's load; the speedup
 * itself is timed by tools/bench/cluster.mjs.
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

/**
 * Little's law within one run: throughput x mean latency = mean requests in flight. Both factors
 * come from the same run, so the figure says how many requests were kept at the servers whatever
 * the machine's speed (a ratio of two separately timed runs would say how its load moved between them).
 */
const inFlight = (s: ExperimentResult['summary']): number => (s.requests_per_second * (s.latency_ms?.avg ?? 0)) / 1000;

/** The same for one server of a run: its requests over the run's wall time, times its mean latency. */
const serverInFlight = (s: ExperimentResult['summary'], i: number): number => {
  const server = s.servers[i]!;
  return ((server.requests / s.wall_time_s) * (server.latency_ms?.avg ?? 0)) / 1000;
};

/** The fields of a benchmark JSON file (`llmbench benchmark`, reporter benchmark-json) read here. */
interface BenchmarkEntry {
  requests_per_second: number;
  avg_response_time: number;
  worker_stats: Record<string, { load_percentage: number }>;
}
interface BenchmarkFile {
  concurrency_benchmark: BenchmarkEntry[];
  scaling_benchmark?: BenchmarkEntry[];
}
const benchmarkFile = async (file: string): Promise<BenchmarkFile> => JSON.parse(await readFile(file, 'utf8')) as BenchmarkFile;

describe('one studio against three (caps 5, fixed response time)', () => {
  test('one studio plateaus at its cap in flight; three keep three caps in flight, the load spread evenly', async () => {
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
    // Plateau: past the cap, more concurrency only queues. At 5 and at 20 one studio holds its cap
    // in flight (so throughput stays at cap / response time); at 20 the other 15 wait client-side,
    // and with them counted (latency + queue time) the run had all 20 outstanding.
    for (const s of [single5, single20]) {
      expect(inFlight(s) / CAP).toBeGreaterThan(0.9);
      expect(inFlight(s) / CAP).toBeLessThan(1.02);
    }
    expect(single5.queued_requests).toBe(0);
    expect(single20.queued_requests).toBeGreaterThan(200);
    const outstanding20 = (single20.requests_per_second * (single20.latency_ms!.avg + single20.queue_ms!.avg)) / 1000;
    expect(outstanding20 / 20).toBeGreaterThan(0.9);
    expect(outstanding20 / 20).toBeLessThan(1.02);
    // Three studios: each kept about its cap in flight, so together three times one studio's.
    expect(inFlight(cluster) / (3 * CAP)).toBeGreaterThan(0.9);
    expect(inFlight(cluster) / (3 * CAP)).toBeLessThan(1.02);
    cluster.servers.forEach((s, i) => {
      expect(serverInFlight(cluster, i) / CAP, s.id).toBeGreaterThan(0.85);
      expect(s.load_share).toBeGreaterThan(1 / 3 - 0.05);
      expect(s.load_share).toBeLessThan(1 / 3 + 0.05);
      expect(s.busy_fraction).toBeGreaterThan(0.9);
    });
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
    // Killed once it has had 100 requests (about 300 of the 1,500 sent): mid-run by count, not by a timer.
    const KILL_AT = 100;
    const watch = setInterval(() => {
      if (killed.stats().requests_received < KILL_AT) return;
      clearInterval(watch);
      void killed.close();
    }, 5);
    const results = await run(`
workers_file: workers.json
workload: { requests: 1500, timeout_ms: 5000 }
experiments: [{ name: kill, strategy: { use: semaphore, options: { concurrency: 15 } } }]
reporters: []
`).finally(() => clearInterval(watch));
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
    // It answered until the kill (a few more may have been on their way), then none.
    expect(dead!.successes).toBeGreaterThanOrEqual(KILL_AT - CAP);
    expect(dead!.successes).toBeLessThanOrEqual(killed.stats().responses_ok);
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

  // Eleven CLI runs: about 25 s on a quiet machine, so a limit of its shells' own, not the default 30 s.
  test('its benchmark loop, jq one-liners and comparison script run unchanged on llmbench benchmark output', {
    timeout: 120_000,
  }, async () => {
    const studios = await startStudios([40, 40, 40], SEED_PORTS);
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
    // The script's columns are the files' figures; its speedup is their ratio (to its 2 decimals).
    const singleFile = await benchmarkFile(join(dir, 'results_single.json'));
    const multiFile = await benchmarkFile(join(dir, 'results_multiple.json'));
    const ratios = singleFile.concurrency_benchmark.map(
      (e, i) => multiFile.concurrency_benchmark[i]!.requests_per_second / e.requests_per_second,
    );
    rows.forEach((r, i) => {
      expect(Math.abs(Number(r[1]) - singleFile.concurrency_benchmark[i]!.requests_per_second)).toBeLessThanOrEqual(0.0051);
      expect(Math.abs(Number(r[2]) - multiFile.concurrency_benchmark[i]!.requests_per_second)).toBeLessThanOrEqual(0.0051);
      expect(Math.abs(Number(r[3]!.replace('x', '')) - ratios[i]!)).toBeLessThanOrEqual(0.0051);
    });
    // At 20, one studio holds its cap of 5 in flight and three hold 15 (Little's law within each
    // run), with the load spread over the three: why the speedup there is above 1 however fast the
    // machine (its size, a timing, is measured by tools/bench/cluster.mjs).
    const single20 = singleFile.concurrency_benchmark[2]!;
    const multi20 = multiFile.concurrency_benchmark[2]!;
    expect((single20.requests_per_second * single20.avg_response_time) / CAP).toBeGreaterThan(0.85);
    expect((multi20.requests_per_second * multi20.avg_response_time) / (3 * CAP)).toBeGreaterThan(0.8);
    expect(Object.keys(single20.worker_stats)).toEqual(['mac-studio-1']);
    for (const w of Object.values(multi20.worker_stats)) expect(Math.abs(w.load_percentage - 100 / 3)).toBeLessThan(8);
    expect(ratios[2]).toBeGreaterThan(1);
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
    expect(Math.abs(Number(row20.trim().split(/\s+/)[3]!.replace('x', '')) - ratios[2]!)).toBeLessThanOrEqual(0.0051);
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
    // Speedup and efficiency are what the file's own throughputs make them.
    const sweep = (await benchmarkFile(join(dir, 'scaling.json'))).scaling_benchmark!;
    entries.forEach((e, i) => {
      const speedup = sweep[i]!.requests_per_second / sweep[0]!.requests_per_second;
      expect(Math.abs(e.speedup - speedup)).toBeLessThanOrEqual(0.001);
      if (i > 0) expect(Math.abs(e.scaling_efficiency! - speedup / e.num_workers)).toBeLessThanOrEqual(0.001);
      // Each point kept its workers at their caps, with the load spread over them.
      expect((sweep[i]!.requests_per_second * sweep[i]!.avg_response_time) / (e.num_workers * CAP)).toBeGreaterThan(0.75);
      for (const w of Object.values(sweep[i]!.worker_stats)) {
        expect(Math.abs(w.load_percentage - 100 / e.num_workers)).toBeLessThan(10);
      }
    });
    expect(entries[2]!.speedup).toBeGreaterThan(1);
    // One worker's scaling test is a single point ("scaling"); compare still matches it to servers=1.
    const matched = await shell(
      `node "$LLMBENCH" benchmark -c ${config}/single_studio.json --mode scaling --requests 60 --runs 2 -o scaling_single.json > single.out
node "$LLMBENCH" compare scaling_single.json scaling.json`,
      dir,
    );
    expect(matched.code).toBe(0);
    expect(studios.map((s) => s.stats().max_in_flight)).toEqual([CAP, CAP, CAP]);
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
      const studios = await startStudios([40, 40, 40], SEED_PORTS);
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
        // One studio held its cap in flight, three held three caps: the job's time divides by about 3.
        expect(inFlight(single!) / CAP).toBeGreaterThan(0.9);
        expect(inFlight(three!) / (3 * CAP)).toBeGreaterThan(0.85);
        for (const s of three!.servers) expect(Math.abs(s.load_share - 1 / 3)).toBeLessThan(0.05);
        expect(studios.map((s) => s.stats().max_in_flight)).toEqual([CAP, CAP, CAP]);
        return;
      }
      expect(last.sweep?.index).toBe(results.experiments.filter((e) => e.experiment === last.experiment).length - 1);
      if (name === 'worker-scaling') {
        expect(results.experiments.map((e) => e.point.servers.length)).toEqual([1, 2, 3]);
        // Each point had its workers at their caps at once, and the efficiency is its own definition.
        for (const e of results.experiments) {
          expect(e.summary.max_in_flight).toBe(e.point.servers.length * CAP);
          expect(e.summary.servers.map((s) => s.max_in_flight)).toEqual(e.point.servers.map(() => CAP));
        }
        const first = results.experiments[0]!.summary.requests_per_second;
        expect(Math.abs(last.sweep!.efficiency! - last.summary.requests_per_second / (3 * first))).toBeLessThanOrEqual(0.001);
        expect(studios.map((s) => s.stats().max_in_flight)).toEqual([CAP, CAP, CAP]);
      }
    },
  );
});
