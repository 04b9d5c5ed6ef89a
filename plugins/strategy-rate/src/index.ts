import { z } from 'zod';
import { defineStrategy, type ExperimentResult, type LoadPoint, type Logger, type StrategyInput } from '@llmbench/plugin-api';

const rate = z.number().positive();

export const RateOptions = z
  .strictObject({
    rate: rate.optional().describe('Requests started per second: one point. Set exactly one of rate, rates and sweep.'),
    rates: z
      .array(rate)
      .min(1)
      .optional()
      .describe('A rate sweep: one point per rate (requests started per second), in the order given.'),
    sweep: z
      .strictObject({
        rates: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(8)
          .describe('Paced points after the two measuring points, evenly spaced up to the measured maximum.'),
      })
      .optional()
      .describe(
        "guidellm's sweep: a synchronous point (1 in flight) measures the synchronous throughput, a throughput point (max_in_flight, at most the request count, in flight) the maximum, then `rates` paced points run at rates evenly spaced above the first up to the second.",
      ),
    arrivals: z
      .enum(['uniform', 'poisson', 'gamma'])
      .default('uniform')
      .describe('Evenly spaced starts, a Poisson process, or gamma-distributed gaps with shape `burstiness` (all seeded).'),
    burstiness: z
      .number()
      .positive()
      .optional()
      .describe(
        "Gamma arrivals (default 1): the gaps' shape k, scale 1 / (rate x k), as vLLM's --burstiness. 1 = Poisson; smaller is burstier (coefficient of variation 1 / sqrt(k)); larger is more even.",
      ),
    max_in_flight: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('Most requests outstanding; beyond it starts wait (and the wait counts as latency).'),
    saturation: z
      .strictObject({
        tolerance: z
          .number()
          .min(0)
          .lt(1)
          .default(0.05)
          .describe(
            'A paced point is saturated when its successful requests per second fall short of its rate by more than this fraction.',
          ),
        p95_factor: z
          .number()
          .gt(1)
          .optional()
          .describe(
            'Also saturated when its latency p95 exceeds this many times the lowest p95 of the points before it (off when absent).',
          ),
        stop: z.boolean().default(false).describe('Skip the remaining points once a point is saturated.'),
      })
      .default({ tolerance: 0.05, stop: false })
      .describe('How sweep points are judged saturated (docs/metrics.md#saturation).'),
  })
  .refine((o) => [o.rate, o.rates, o.sweep].filter((x) => x !== undefined).length === 1, {
    message: 'set exactly one of rate, rates and sweep',
    path: ['rate'],
    params: { hint: 'rate: 10 for one point, rates: [5, 10, 20] for a sweep, or sweep: { rates: 8 } to measure the range first' },
  })
  .refine((o) => o.burstiness === undefined || o.arrivals === 'gamma', {
    message: 'burstiness is for gamma arrivals',
    path: ['burstiness'],
    params: { hint: 'add arrivals: gamma' },
  });
export type RateOptions = z.output<typeof RateOptions>;

/** A paced point at `r` requests per second; a sweep's points carry their label and saturation rule. */
function paced(o: RateOptions, r: number, inSweep: boolean): LoadPoint {
  const gamma: Record<string, number> = o.arrivals === 'gamma' ? { burstiness: o.burstiness ?? 1 } : {};
  const { tolerance, p95_factor } = o.saturation;
  return {
    ...(inSweep
      ? { label: `rate=${r}`, saturation: { tolerance, ...(p95_factor === undefined ? {} : { latencyFactor: p95_factor }) } }
      : {}),
    concurrency: o.max_in_flight,
    rate: r,
    arrivals: o.arrivals,
    ...gamma,
    params: { rate: r, arrivals: o.arrivals, ...gamma },
  };
}

/** Successful requests per second of a measured point. */
const achieved = (d: ExperimentResult) => d.summary.requests_per_second * d.summary.success_rate;

/** `n` rates evenly spaced above `low` up to `high` (guidellm's linspace without its first value), 4 significant digits, no repeats. */
export function sweepRates(low: number, high: number, n: number): number[] {
  const top = Math.max(low, high);
  const rates = Array.from({ length: n }, (_, i) => Number((low + ((top - low) * (i + 1)) / n).toPrecision(4)));
  return [...new Set(rates.filter((r) => r > 0))];
}

export function ratePoints(o: RateOptions, input: StrategyInput): LoadPoint[] {
  if (o.rate !== undefined) return [paced(o, o.rate, false)];
  if (o.rates !== undefined) return [...new Set(o.rates)].map((r) => paced(o, r, true));
  return [{ label: 'synchronous', concurrency: 1, requests: input.requests, params: { profile: 'synchronous', concurrency: 1 } }];
}

/** guidellm's sweep after its synchronous point: the throughput point, then the paced points. */
export function nextSweepPoints(
  o: RateOptions,
  input: StrategyInput,
  done: readonly ExperimentResult[],
  logger: Logger,
): LoadPoint[] | undefined {
  if (o.sweep === undefined) return undefined;
  if (done.length === 1) {
    const concurrency = Math.min(o.max_in_flight, input.requests);
    return [{ label: 'throughput', concurrency, requests: input.requests, params: { profile: 'throughput', concurrency } }];
  }
  if (done.length !== 2) return undefined;
  const [synchronous, throughput] = [achieved(done[0]!), achieved(done[1]!)];
  if (synchronous <= 0 && throughput <= 0) {
    logger.error(
      'rate sweep: no request succeeded at the synchronous or the throughput point, so there is no rate range to sweep',
    );
    return undefined;
  }
  return sweepRates(synchronous, throughput, o.sweep.rates).map((r) => paced(o, r, true));
}

/**
 * Open-loop load: requests start at a fixed rate whatever the server does, as real users arrive.
 * Latency counts from each request's intended start, so when the server (or the in-flight limit)
 * falls behind, the queueing shows in the percentiles instead of being hidden. With `rates` or
 * `sweep`, each rate is a point of one experiment and the runner names the saturation point.
 */
export default defineStrategy({
  name: 'rate',
  description:
    'Start requests at a fixed rate (open loop), or sweep rates and find the saturation point; latency counts from the intended start.',
  options: RateOptions,
  create: (ctx, o) => {
    let input: StrategyInput | undefined;
    return {
      points: (given) => {
        input = given;
        return ratePoints(o, given);
      },
      ...(o.sweep === undefined
        ? {}
        : { next: (done: readonly ExperimentResult[]) => nextSweepPoints(o, input!, done, ctx.logger) }),
      shouldContinue: (done) => !(o.saturation.stop && done.at(-1)?.sweep?.saturated === true),
    };
  },
});
