import { basename, resolve } from 'node:path';
import type { ScenarioInput } from '../scenario/schema.js';
import type { BalancerPolicy } from '../engine/balancer.js';

/** The seed's `benchmark.py` flags, as `llmbench benchmark` takes them. */
export interface BenchmarkOptions {
  /** The workers file (`--config/-c`), as the seed writes it. */
  readonly config: string;
  readonly mode: 'concurrency' | 'scaling' | 'both';
  /** Requests per point. */
  readonly requests: number;
  readonly concurrencyLevels: readonly number[];
  readonly workerCounts: readonly number[];
  /** The seed JSON (`--output/-o`). */
  readonly output: string;
  /** Requests sent before each point and not measured (default `BENCHMARK_DEFAULTS.warmup`). */
  readonly warmup?: number;
  /** Runs of every point (the guide: "average results from 3+ runs"); default 1. */
  readonly runs?: number;
  readonly maxTokens?: number;
  readonly timeoutMs?: number;
  readonly balancer?: BalancerPolicy;
  readonly cwd: string;
}

export const BENCHMARK_MODES = ['concurrency', 'scaling', 'both'] as const;
export const BENCHMARK_DEFAULTS = {
  mode: 'both',
  requests: 100,
  concurrencyLevels: [1, 5, 10, 20, 50, 100],
  workerCounts: [1, 2, 3, 5, 10],
  /** The guide warms workers up before measuring ("first requests are slower"). */
  warmup: 10,
  output: 'results/benchmark-{timestamp}.json',
} as const;

/**
 * The scenario `llmbench benchmark` runs: the seed's concurrency scaling test and/or worker scaling
 * test as `scaling` sweeps over the workers file's servers, reported on the console and as the seed's
 * JSON. Returned as text (with the path it is reported under) so it is loaded and validated exactly
 * like a scenario file.
 */
export function benchmarkScenario(o: BenchmarkOptions): { file: string; text: string } {
  const config = resolve(o.cwd, o.config);
  const experiments: ScenarioInput['experiments'] = [];
  if (o.mode !== 'scaling') {
    experiments.push({
      name: 'concurrency',
      description: 'Concurrency scaling test: the same servers at each concurrency level.',
      strategy: { use: 'scaling', options: { sweep: 'concurrency', concurrency_levels: [...o.concurrencyLevels] } },
    });
  }
  if (o.mode !== 'concurrency') {
    experiments.push({
      name: 'scaling',
      description: 'Worker scaling test: the first N workers, each kept at its max_concurrent_requests.',
      strategy: { use: 'scaling', options: { sweep: 'servers', server_counts: [...o.workerCounts] } },
    });
  }
  const scenario: ScenarioInput = {
    name:
      basename(config)
        .replace(/\.[^.]+$/, '')
        .replace(/[^A-Za-z0-9_.-]/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '') || 'benchmark',
    description: `Benchmark of the workers in ${o.config}: throughput, success rate and response times against concurrency and against the number of workers.`,
    workers_file: config,
    ...(o.balancer ? { balancer: o.balancer } : {}),
    workload: {
      requests: o.requests,
      warmup: o.warmup ?? BENCHMARK_DEFAULTS.warmup,
      ...(o.maxTokens ? { max_tokens: o.maxTokens } : {}),
      ...(o.timeoutMs ? { timeout_ms: o.timeoutMs } : {}),
    },
    experiments,
    ...(o.runs !== undefined && o.runs > 1 ? { runs: o.runs } : {}),
    reporters: ['console', { use: 'benchmark-json', options: { output: o.output } }],
  };
  return { file: resolve(o.cwd, `benchmark of ${basename(config)}`), text: JSON.stringify(scenario, null, 2) };
}
