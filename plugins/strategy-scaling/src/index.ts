import { z } from 'zod';
import { defineStrategy, type ExperimentResult, type LoadPoint, type StrategyInput } from '@llmbench/plugin-api';

const positive = z.number().int().positive();

/** Per-server concurrency for servers with no max_concurrent_requests in a server sweep. */
export const UNCAPPED_CONCURRENCY = 10;

export const ScalingOptions = z
  .strictObject({
    sweep: z
      .enum(['concurrency', 'servers'])
      .default('concurrency')
      .describe(
        "concurrency: the seed's concurrency scaling test (all servers, one point per level); servers: its worker scaling test (the first N servers, one point per count).",
      ),
    concurrency_levels: z
      .array(positive)
      .min(1)
      .default([1, 5, 10, 20, 50, 100])
      .describe('Concurrency sweep: requests in flight at each point.'),
    server_counts: z
      .array(positive)
      .min(1)
      .default([1, 2, 3, 5, 10])
      .describe(
        "Server sweep: how many servers (the first N of the experiment's) each point uses; counts above the servers available are capped to them.",
      ),
    concurrency: positive
      .optional()
      .describe(
        "Server sweep: the same concurrency at every point (default: the sum of the chosen servers' max_concurrent_requests).",
      ),
    concurrency_per_server: positive.optional().describe('Server sweep: concurrency = N x this.'),
    requests: positive.optional().describe("Requests per point (default: the workload's requests)."),
    early_stop: z
      .union([
        z.boolean(),
        z.strictObject({
          min_gain: z
            .number()
            .nonnegative()
            .default(0.05)
            .describe('A point "grows" when its throughput beats the best so far by this fraction.'),
          patience: positive.default(1).describe('Stop after this many points in a row that did not grow.'),
        }),
      ])
      .default(false)
      .describe('Skip the remaining points once throughput stops growing. true = { min_gain: 0.05, patience: 1 }.'),
  })
  .refine((o) => o.concurrency === undefined || o.concurrency_per_server === undefined, {
    message: 'set concurrency or concurrency_per_server, not both',
    path: ['concurrency_per_server'],
  })
  .refine((o) => o.sweep === 'servers' || (o.concurrency === undefined && o.concurrency_per_server === undefined), {
    message: 'concurrency and concurrency_per_server are for a server sweep; a concurrency sweep uses concurrency_levels',
    path: ['sweep'],
  });
export type ScalingOptions = z.output<typeof ScalingOptions>;

/** The points of a sweep, in order. */
export function scalingPoints(o: ScalingOptions, input: StrategyInput): LoadPoint[] {
  const requests = o.requests ?? input.requests;
  if (o.sweep === 'concurrency') {
    return unique(o.concurrency_levels).map((c) => ({
      label: `concurrency=${c}`,
      concurrency: c,
      requests,
      params: { concurrency: c, servers: input.servers },
    }));
  }
  const counts = unique(o.server_counts.map((n) => Math.min(n, input.servers)));
  return counts.map((n) => {
    const concurrency =
      o.concurrency ??
      (o.concurrency_per_server !== undefined
        ? n * o.concurrency_per_server
        : input.caps.slice(0, n).reduce((sum, cap) => sum + (Number.isFinite(cap) ? cap : UNCAPPED_CONCURRENCY), 0));
    return { label: `servers=${n}`, concurrency, servers: n, requests, params: { servers: n, concurrency } };
  });
}

/**
 * Early stop: false once the last `patience` points each failed to beat the best successful
 * throughput (requests/s x success rate) before them by `min_gain`.
 */
export function keepGoing(
  o: ScalingOptions,
  done: readonly { readonly summary: Pick<ExperimentResult['summary'], 'requests_per_second' | 'success_rate'> }[],
): boolean {
  if (o.early_stop === false) return true;
  const { min_gain, patience } = o.early_stop === true ? { min_gain: 0.05, patience: 1 } : o.early_stop;
  // Growth in successful requests per second: failing faster at higher concurrency is not growth.
  const rps = done.map((d) => d.summary.requests_per_second * d.summary.success_rate);
  let flat = 0;
  let best = rps[0] ?? 0;
  for (let i = 1; i < rps.length; i++) {
    if (rps[i]! > best * (1 + min_gain)) flat = 0;
    else flat++;
    best = Math.max(best, rps[i]!);
  }
  return flat < patience;
}

function unique(values: readonly number[]): number[] {
  return [...new Set(values)];
}

/**
 * The seed's two benchmark tests as sweeps: throughput against concurrency, and against the number
 * of servers. Each point is a full experiment; the runner adds speedup against the first point and,
 * when the server count changes, scaling efficiency (docs/metrics.md#scaling).
 */
export default defineStrategy({
  name: 'scaling',
  description: 'Sweep concurrency levels or server counts; speedup and scaling efficiency per point.',
  options: ScalingOptions,
  create: (_ctx, options) => ({
    points: (input) => scalingPoints(options, input),
    shouldContinue: (done) => keepGoing(options, done),
  }),
});
