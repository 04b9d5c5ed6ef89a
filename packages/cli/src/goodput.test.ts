import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import type { RunResults } from '@llmbench/plugin-api';
import { formatNumber } from '@llmbench/plugin-api/format';
import { type Ran, runNode } from '@llmbench/test-support';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/llmbench.js');

function llmbench(args: string[], cwd: string): Promise<Ran> {
  return runNode([bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 60_000 });
}

async function scenarioDir(yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-goodput-'));
  await writeFile(join(dir, 'package.json'), '{"name":"t","private":true}\n');
  await writeFile(join(dir, 's.yaml'), yaml);
  return dir;
}

async function results(dir: string): Promise<RunResults> {
  const files = (await readdir(join(dir, 'out'))).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  return JSON.parse(await readFile(join(dir, 'out', files[0]!), 'utf8')) as RunResults;
}

// First token after 20 ms, then one every 2 ms: TTFT about 20 ms, TPOT about 2 ms.
let server: MockHttpServer;
beforeAll(async () => {
  server = await startMockHttpServer({ mock: { latency: { model: 'tokens', ttft_ms: 20, itl_ms: 2 }, output_tokens: 8 } });
});
afterAll(async () => {
  await server.close();
});

const SYSTEM = 'You answer in one short sentence. '.repeat(20);

function scenario(extra: string): string {
  return `servers: [{ id: m, url: "${server.url}", backend: openai }]
workload: { requests: 40, warmup: 8, stream: true, max_tokens: 8, system_prompt: "${SYSTEM}" }
reporters: [console, json, markdown]
${extra}`;
}

interface Raw {
  experiment: string;
  outcome: string;
  latency_ms: number;
  ttft_ms?: number;
  tpot_ms?: number;
}

describe('goodput', () => {
  test('equals the requests within every limit counted from the raw records, over wall time, in console and Markdown', async () => {
    // The second experiment's TTFT limit sits on the mock's 20 ms, so some requests miss it; its TPOT
    // objective is the scenario's.
    const dir = await scenarioDir(
      scenario(`slo: { ttft_ms: { p95: 50 }, tpot_ms: { p50: 10 } }
experiments:
  - { name: loose, strategy: { use: semaphore, options: { concurrency: 4 } } }
  - { name: tight, strategy: { use: semaphore, options: { concurrency: 4 } }, slo: { ttft_ms: { p50: 21 } } }
`),
    );
    const ran = await llmbench(['run', 's.yaml', '--out', 'out', '--raw', 'raw.jsonl', '--threads', '1'], dir);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const raw = (await readFile(join(dir, 'raw.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Raw);
    const res = await results(dir);
    const limits: Record<string, { ttft: number; tpot: number }> = {
      loose: { ttft: 50, tpot: 10 },
      tight: { ttft: 21, tpot: 10 },
    };
    const markdown = await readFile(join(dir, 'out', (await readdir(join(dir, 'out'))).find((f) => f.endsWith('.md'))!), 'utf8');
    for (const e of res.experiments) {
      const mine = raw.filter((r) => r.experiment === e.name && r.outcome === 'ok');
      expect(mine).toHaveLength(40);
      // Raw times are rounded to 0.001 ms; a value that close to a limit is not decided by them.
      const within = (slack: number) =>
        mine.filter(
          (r) =>
            r.ttft_ms !== undefined &&
            r.ttft_ms <= limits[e.name]!.ttft + slack &&
            r.tpot_ms !== undefined &&
            r.tpot_ms <= limits[e.name]!.tpot + slack,
        ).length;
      const s = e.summary;
      const good = s.slo_met_requests!;
      expect(good).toBeGreaterThanOrEqual(within(-0.0005));
      expect(good).toBeLessThanOrEqual(within(0.0005));
      expect(s.goodput).toBeCloseTo(good / s.wall_time_s, 2);
      expect(s.slo.map((o) => [o.metric, o.bound, o.limit, o.met === (o.actual !== null && o.actual <= o.limit)])).toEqual(
        e.name === 'loose'
          ? [
              ['ttft_ms', 'p95', 50, true],
              ['tpot_ms', 'p50', 10, true],
            ]
          : [
              ['ttft_ms', 'p50', 21, true],
              ['tpot_ms', 'p50', 10, true],
            ],
      );
      expect(s.slo_met).toBe(s.slo.every((o) => o.met));
      expect(s.slo[0]!.met_requests).toBeGreaterThanOrEqual(
        mine.filter((r) => r.ttft_ms! <= limits[e.name]!.ttft - 0.0005).length,
      );
      expect(s.slo[0]!.met_requests).toBeLessThanOrEqual(mine.filter((r) => r.ttft_ms! <= limits[e.name]!.ttft + 0.0005).length);
      expect(ran.stdout).toContain(
        `Goodput: ${formatNumber(s.goodput!)} req/s (${good} of 40 successful requests within every objective)`,
      );
      expect(markdown).toContain(`(${good} of 40 successful requests within every objective)`);
    }
    expect(markdown).toMatch(/\| \*\*Goodput\*\* \|/);
  });
});

describe('thresholds on any metric', () => {
  const thresholds = (
    goodputMin: number,
  ) => `experiments: [{ name: a, strategy: { use: semaphore, options: { concurrency: 2 } } }]
slo: { ttft_ms: { max: 1000 } }
thresholds:
  - { metric: ttft_ms.p99.9, max: 1000 }
  - { metric: goodput, min: ${goodputMin} }
  - { metric: prefix_cache_hit_rate, min: 0.5 }
  - { metric: servers.m.busy_fraction, min: 0.01 }
`;

  test('pass: exit 0, with the p99.9 computed and carried in results', async () => {
    const dir = await scenarioDir(scenario(thresholds(1)));
    const ran = await llmbench(['run', 's.yaml', '--out', 'out'], dir);
    expect(ran.code).toBe(0);
    const res = await results(dir);
    expect(res.thresholds.map((t) => [t.metric, t.passed])).toEqual([
      ['ttft_ms.p99.9', true],
      ['goodput', true],
      ['prefix_cache_hit_rate', true],
      ['servers.m.busy_fraction', true],
    ]);
    const ttft = res.experiments[0]!.summary.ttft_ms!;
    expect(res.thresholds[0]!.actual).toBe(ttft.extra!['p99.9']);
    expect(ttft.extra!['p99.9']).toBeGreaterThanOrEqual(ttft.p99);
  });

  test('fail: exit 1', async () => {
    const dir = await scenarioDir(scenario(thresholds(1e9)));
    const ran = await llmbench(['run', 's.yaml', '--out', 'out'], dir);
    expect(ran.code).toBe(1);
    const res = await results(dir);
    expect(res.thresholds.filter((t) => !t.passed).map((t) => t.metric)).toEqual(['goodput']);
  });

  test('abort_on_fail: the experiments after the failing one are not run, exit 1', async () => {
    const dir = await scenarioDir(
      scenario(`experiments:
  - { name: a, strategy: { use: semaphore, options: { concurrency: 2 } } }
  - { name: b, strategy: { use: semaphore, options: { concurrency: 2 } } }
thresholds: [{ metric: latency_ms.p50, max: 0.001, abort_on_fail: true }]
`),
    );
    const ran = await llmbench(['run', 's.yaml', '--out', 'out'], dir);
    expect(ran.code).toBe(1);
    const res = await results(dir);
    expect(res.experiments.map((e) => e.name)).toEqual(['a']);
    expect(res.aborted_by).toMatchObject({ metric: 'latency_ms.p50', experiment: 'a' });
  });

  test('an unknown metric is a config error (exit 2) naming the place and listing the valid metrics', async () => {
    const dir = await scenarioDir(
      scenario(`experiments: [{ name: a, strategy: semaphore }]
thresholds:
  - { metric: ttft_ms.p99.9, max: 1000 }
  - { metric: goodptu, min: 1 }
  - { metric: servers.nope.busy_fraction, min: 0 }
`),
    );
    const ran = await llmbench(['run', 's.yaml', '--out', 'out'], dir);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('s.yaml:7:');
    expect(ran.stderr).toContain('unknown threshold metric "goodptu"');
    expect(ran.stderr).toContain('did you mean "goodput"?');
    expect(ran.stderr).toContain('s.yaml:8:');
    expect(ran.stderr).toContain('unknown threshold metric "servers.nope.busy_fraction"');
    expect(ran.stderr).toContain('valid metrics: success_rate, requests_per_second');
    expect(ran.stderr).toContain('servers.<id>.<m> with <id> one of m');
    expect(ran.stderr).not.toContain('ttft_ms.p99.9"');
  });
});
