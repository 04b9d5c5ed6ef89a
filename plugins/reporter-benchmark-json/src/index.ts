import { z } from 'zod';
import {
  defineReporter,
  writeFileAtomic,
  type ExperimentResult,
  type LatencyStats,
  type RunResults,
  type SummaryStats,
} from '@llmbench/plugin-api';

/**
 * The JSON the seed's `benchmark.py` wrote, so its jq one-liners and comparison script keep working:
 * `concurrency_benchmark[]` and `scaling_benchmark[]`, one entry per point, with response times in
 * seconds and rates in percent as the seed printed them. The full llmbench results ride along under
 * `results`, so `llmbench compare` and `llmbench report` can use the file too.
 */
export interface WorkerStats {
  requests: number;
  successful_requests: number;
  failed_requests: number;
  /** Percent. */
  success_rate: number;
  /** Percent of the point's requests. */
  load_percentage: number;
  /** Percent of wall time with at least one request in flight. */
  busy_percentage: number;
  avg_response_time: number | null;
  p95_response_time: number | null;
  avg_queue_time: number | null;
}

export interface BenchmarkEntry {
  name: string;
  concurrency: number;
  num_workers: number;
  workers: string[];
  total_requests: number;
  successful_requests: number;
  failed_requests: number;
  failures: Record<string, number>;
  /** Seconds. */
  total_time: number;
  requests_per_second: number;
  /** Percent. */
  success_rate: number;
  avg_response_time: number | null;
  min_response_time: number | null;
  max_response_time: number | null;
  p50_response_time: number | null;
  p95_response_time: number | null;
  p99_response_time: number | null;
  output_tokens_per_second: number;
  worker_stats: Record<string, WorkerStats>;
}

export interface ScalingEntry extends BenchmarkEntry {
  throughput_per_worker: number;
  /** requests_per_second / the first entry's. */
  speedup: number;
  /** requests_per_second / ((num_workers / first num_workers) x first requests_per_second); null at the first count. */
  scaling_efficiency: number | null;
}

export interface BenchmarkFile {
  benchmark: {
    tool: 'llmbench';
    version: string;
    scenario: string;
    started_at: string;
    finished_at: string;
    status: RunResults['status'];
  };
  concurrency_benchmark: BenchmarkEntry[];
  scaling_benchmark: ScalingEntry[];
  results: RunResults;
}

const r = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;
const seconds = (ms: number | undefined): number | null => (ms === undefined ? null : r(ms / 1000));
const percent = (fraction: number): number => r(fraction * 100, 2);

function entry(e: ExperimentResult): BenchmarkEntry {
  const s: SummaryStats = e.summary;
  const l: LatencyStats | null = s.latency_ms;
  return {
    name: e.name,
    concurrency: e.point.concurrency,
    num_workers: e.point.servers.length,
    workers: [...e.point.servers],
    total_requests: s.requests,
    successful_requests: s.successes,
    failed_requests: s.requests - s.successes,
    failures: { ...s.failures },
    total_time: r(s.wall_time_s),
    requests_per_second: s.requests_per_second,
    success_rate: percent(s.success_rate),
    avg_response_time: seconds(l?.avg),
    min_response_time: seconds(l?.min),
    max_response_time: seconds(l?.max),
    p50_response_time: seconds(l?.p50),
    p95_response_time: seconds(l?.p95),
    p99_response_time: seconds(l?.p99),
    output_tokens_per_second: s.tokens.output_tokens_per_second,
    worker_stats: Object.fromEntries(
      s.servers.map((w) => [
        w.id,
        {
          requests: w.requests,
          successful_requests: w.successes,
          failed_requests: w.requests - w.successes,
          success_rate: percent(w.success_rate),
          load_percentage: percent(w.load_share),
          busy_percentage: percent(w.busy_fraction),
          avg_response_time: seconds(w.latency_ms?.avg),
          p95_response_time: seconds(w.latency_ms?.p95),
          avg_queue_time: seconds(w.queue_ms?.avg),
        },
      ]),
    ),
  };
}

/** Whether a point belongs to a server-count sweep (the seed's worker scaling test). */
function isServerSweep(e: ExperimentResult): boolean {
  return e.strategy.options.sweep === 'servers';
}

export function toBenchmarkFile(results: RunResults): BenchmarkFile {
  // Speedup and efficiency are the runner's, against the first point of the same sweep.
  const scaling: ScalingEntry[] = results.experiments.filter(isServerSweep).map((e) => {
    const base = entry(e);
    return {
      ...base,
      throughput_per_worker: e.sweep?.throughput_per_server ?? r(base.requests_per_second / Math.max(1, base.num_workers), 3),
      speedup: e.sweep?.speedup ?? 1,
      scaling_efficiency: e.sweep?.efficiency ?? null,
    };
  });
  return {
    benchmark: {
      tool: 'llmbench',
      version: results.llmbench_version,
      scenario: results.scenario.name,
      started_at: results.started_at,
      finished_at: results.finished_at,
      status: results.status,
    },
    concurrency_benchmark: results.experiments.filter((e) => !isServerSweep(e)).map(entry),
    scaling_benchmark: scaling,
    results,
  };
}

export default defineReporter({
  name: 'benchmark-json',
  description:
    "Writes the seed benchmark script's JSON (concurrency_benchmark[], scaling_benchmark[]) so its jq one-liners keep working.",
  options: z.strictObject({
    output: z
      .string()
      .min(1)
      .default('results/benchmark-{scenario}-{timestamp}.json')
      .describe('Where to write; {scenario} and {timestamp} are replaced. Relative to the current directory.'),
  }),
  create(ctx, options) {
    return {
      outputs: () => [ctx.resolveOutput(options.output)],
      async onRunEnd(results) {
        const path = ctx.resolveOutput(options.output);
        await writeFileAtomic(path, `${JSON.stringify(toBenchmarkFile(results), null, 2)}\n`);
        ctx.fileWritten(path);
      },
    };
  },
});
