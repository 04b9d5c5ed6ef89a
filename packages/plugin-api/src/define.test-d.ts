import { describe, expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import {
  defineBackend,
  defineCollector,
  defineReporter,
  defineStrategy,
  deltaRatio,
  type BackendPlugin,
  type Outcome,
  type RunResults,
  type StrategyPlugin,
} from './index.js';

describe('define* option inference', () => {
  test("create receives the schema's output type: defaults make fields required", () => {
    defineStrategy({
      name: 'ramp',
      options: z.object({ concurrency: z.number().int().default(10), label: z.string().optional() }),
      create(_ctx, options) {
        expectTypeOf(options).toEqualTypeOf<{ concurrency: number; label?: string | undefined }>();
        return { points: () => [{ concurrency: options.concurrency }] };
      },
    });
  });

  test('without an options schema, options is an empty record', () => {
    defineReporter({
      name: 'quiet',
      create(_ctx, options) {
        expectTypeOf(options).toEqualTypeOf<Record<string, never>>();
        return {};
      },
    });
  });

  test('the returned plugin keeps its schema type and kind', () => {
    const schema = z.object({ url: z.string() });
    const plugin = defineBackend({ name: 'b', options: schema, create: () => ({ send: async () => ({ kind: 'ok' }) }) });
    expectTypeOf(plugin.options).toEqualTypeOf<typeof schema>();
    expectTypeOf(plugin.kind).toEqualTypeOf<'backend'>();
    expectTypeOf(plugin).toExtend<BackendPlugin>();
    expectTypeOf(plugin).not.toExtend<StrategyPlugin>();
  });

  test('transforms are seen after parsing', () => {
    defineCollector({
      name: 'gpu',
      options: z.object({ interval: z.string().transform((s) => Number.parseInt(s, 10)) }),
      create(_ctx, options) {
        expectTypeOf(options.interval).toEqualTypeOf<number>();
        return { sample: () => ({}) };
      },
    });
  });
});

describe('contracts', () => {
  test('a backend must resolve to an Outcome', () => {
    defineBackend({
      name: 'bad',
      // @ts-expect-error "success" is not an outcome kind
      create: () => ({ send: async () => ({ kind: 'success' }) }),
    });
  });

  test('an http_error outcome needs a status', () => {
    // @ts-expect-error status is required
    const o: Outcome = { kind: 'http_error' };
    void o;
  });

  test('outcomes narrow by kind', () => {
    const o = {} as Outcome;
    if (o.kind === 'timeout') expectTypeOf(o.phase).toEqualTypeOf<'connect' | 'first_byte' | 'total'>();
  });

  test('reporters get read-only results', () => {
    defineReporter({
      name: 'r',
      create: () => ({
        onRunEnd(results) {
          expectTypeOf(results).toEqualTypeOf<Readonly<RunResults>>();
          // @ts-expect-error results are read-only
          results.passed = true;
        },
      }),
    });
  });

  test('strategy points need a concurrency', () => {
    defineStrategy({
      name: 's',
      // @ts-expect-error concurrency is required
      create: () => ({ points: () => [{ barrier: true }] }),
    });
  });

  test("a strategy's next gets the measured results and returns points or undefined", () => {
    defineStrategy({
      name: 's',
      create: () => ({
        points: () => [{ concurrency: 1 }],
        next: (done) =>
          done[0]!.summary.requests_per_second > 0
            ? [{ concurrency: 2, rate: 5, arrivals: 'gamma', burstiness: 0.5 }]
            : undefined,
      }),
    });
    defineStrategy({
      name: 's',
      // @ts-expect-error arrivals is uniform, poisson or gamma
      create: () => ({ points: () => [{ concurrency: 1 }], next: () => [{ concurrency: 1, rate: 5, arrivals: 'bursty' }] }),
    });
  });

  test('a backend derives only metrics the results format has, from readings named as strings', () => {
    defineBackend({
      name: 'b',
      aliases: ['b_server'],
      derivedMetrics: [
        deltaRatio('prefix_cache_hit_rate', 'hits', 'queries'),
        { key: 'prefix_cache_hit_rate', from: ['x'], derive: (d) => d.x },
      ],
      create: () => ({ send: async () => ({ kind: 'ok', status: 200 }) }),
    });
    // @ts-expect-error only metrics of DERIVABLE_METRICS can be derived
    deltaRatio('kv_cache_peak', 'a', 'b');
  });
});
