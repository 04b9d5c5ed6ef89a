import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { RunResultsSchema, type ReporterContext, type RunResults } from '@llmbench/plugin-api';
import benchmarkJson, { toBenchmarkFile, type BenchmarkFile } from './index.js';

/** `llmbench benchmark --mode both` over three servers: a concurrency sweep and a server sweep. */
async function scaling(): Promise<RunResults> {
  const text = await readFile(
    new URL('../../reporter-markdown/src/__fixtures__/benchmark-scaling.json', import.meta.url),
    'utf8',
  );
  return RunResultsSchema.parse(JSON.parse(text));
}

describe('concurrency_benchmark[]', () => {
  test('every experiment that is not a server sweep is a concurrency entry; no server sweep, no scaling entries', async () => {
    const text = await readFile(new URL('../../reporter-markdown/src/__fixtures__/quickstart.json', import.meta.url), 'utf8');
    const file = toBenchmarkFile(RunResultsSchema.parse(JSON.parse(text)));
    expect(file.concurrency_benchmark.map((e) => [e.name, e.concurrency, e.num_workers])).toEqual([
      ['batch-50', 50, 1],
      ['semaphore-10', 10, 1],
    ]);
    expect(file.scaling_benchmark).toEqual([]);
  });

  test('one entry per point of a concurrency sweep, in order', async () => {
    const file = toBenchmarkFile(await scaling());
    expect(file.concurrency_benchmark.map((e) => [e.name, e.concurrency, e.num_workers])).toEqual([
      ['concurrency/concurrency=1', 1, 3],
      ['concurrency/concurrency=5', 5, 3],
      ['concurrency/concurrency=10', 10, 3],
      ['concurrency/concurrency=20', 20, 3],
    ]);
  });

  test('times in seconds (4 decimals) and rates in percent, as the seed printed them', async () => {
    const [first] = toBenchmarkFile(await scaling()).concurrency_benchmark;
    // From the results: wall 2.674743 s; latency avg 44.425, min 42.295, max 49.617, p50 44.127, p95 46.751, p99 49.631 ms.
    expect(first).toMatchObject({
      workers: ['mac-studio-1', 'mac-studio-2', 'mac-studio-3'],
      total_requests: 60,
      successful_requests: 60,
      failed_requests: 0,
      total_time: 2.6747,
      requests_per_second: 22.432,
      success_rate: 100,
      avg_response_time: 0.0444,
      min_response_time: 0.0423,
      max_response_time: 0.0496,
      p50_response_time: 0.0441,
      p95_response_time: 0.0468,
      p99_response_time: 0.0496,
      output_tokens_per_second: 358.913,
    });
  });

  test('worker_stats are keyed by server id, with load and busy time in percent', async () => {
    const [first] = toBenchmarkFile(await scaling()).concurrency_benchmark;
    expect(Object.keys(first!.worker_stats)).toEqual(['mac-studio-1', 'mac-studio-2', 'mac-studio-3']);
    // mac-studio-1: load share 0.333333, busy 0.333874, latency avg 44.597 and p95 47.615 ms, no queueing.
    expect(first!.worker_stats['mac-studio-1']).toEqual({
      requests: 20,
      successful_requests: 20,
      failed_requests: 0,
      success_rate: 100,
      load_percentage: 33.33,
      busy_percentage: 33.39,
      avg_response_time: 0.0446,
      p95_response_time: 0.0476,
      avg_queue_time: 0,
    });
  });

  test('failures are counted by kind, and a point with no success has null response times', async () => {
    const results = await scaling();
    const e = results.experiments[0]!;
    const broken = {
      ...e,
      summary: {
        ...e.summary,
        successes: 0,
        success_rate: 0,
        latency_ms: null,
        failures: { ...e.summary.failures, http_error: 45, timeout: 15 },
      },
    };
    const [entry] = toBenchmarkFile({ ...results, experiments: [broken] }).concurrency_benchmark;
    expect(entry).toMatchObject({
      total_requests: 60,
      successful_requests: 0,
      failed_requests: 60,
      success_rate: 0,
      failures: { http_error: 45, timeout: 15 },
    });
    expect([entry!.avg_response_time, entry!.p50_response_time, entry!.p99_response_time]).toEqual([null, null, null]);
  });
});

describe('scaling_benchmark[]', () => {
  test('the server sweep, with throughput per worker, speedup and efficiency against one worker', async () => {
    const file = toBenchmarkFile(await scaling());
    expect(
      file.scaling_benchmark.map((e) => [
        e.name,
        e.num_workers,
        e.concurrency,
        e.throughput_per_worker,
        e.speedup,
        e.scaling_efficiency,
      ]),
    ).toEqual([
      ['scaling/servers=1', 1, 5, 107.89, 1, null],
      ['scaling/servers=2', 2, 10, 100.935, 1.871, 0.936],
      ['scaling/servers=3', 3, 15, 95.343, 2.651, 0.884],
    ]);
  });

  test('scaling entries carry the same per-point fields, worker_stats over the servers used', async () => {
    const [, two] = toBenchmarkFile(await scaling()).scaling_benchmark;
    expect(two).toMatchObject({
      workers: ['mac-studio-1', 'mac-studio-2'],
      total_time: 0.2972,
      requests_per_second: 201.869,
      avg_response_time: 0.048,
    });
    expect(Object.keys(two!.worker_stats)).toEqual(['mac-studio-1', 'mac-studio-2']);
    expect(two!.worker_stats['mac-studio-1']).toMatchObject({ load_percentage: 50, busy_percentage: 99.89 });
  });
});

describe('file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llmbench-benchmark-json-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('is written where resolveOutput says, with a header and the full results riding along', async () => {
    const results = await scaling();
    const written: string[] = [];
    const ctx: ReporterContext = {
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      clock: { now: () => 0 },
      scenarioDir: dir,
      seed: 1,
      out: { write() {}, isTTY: false },
      resolveOutput: (template) =>
        join(dir, template.replaceAll('{scenario}', results.scenario.name).replaceAll('{timestamp}', 'T')),
      fileWritten: (path) => void written.push(path),
    };
    const reporter = await benchmarkJson.create(ctx, benchmarkJson.options.parse({}));
    await reporter.onRunEnd?.(results);
    const path = join(dir, 'results', 'benchmark-my_workers-T.json');
    expect(written).toEqual([path]);
    const file = JSON.parse(await readFile(path, 'utf8')) as BenchmarkFile;
    expect(file.benchmark).toEqual({
      tool: 'llmbench',
      version: '0.1.0',
      scenario: 'my_workers',
      started_at: '2026-11-22T18:22:07.840Z',
      finished_at: '2026-11-22T18:22:13.534Z',
      status: 'completed',
    });
    expect([file.concurrency_benchmark.length, file.scaling_benchmark.length]).toEqual([4, 3]);
    expect(RunResultsSchema.parse(file.results)).toEqual(results);
  });
});
