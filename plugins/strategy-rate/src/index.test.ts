import { describe, expect, test } from 'vitest';
import type { ExperimentResult, Logger, PluginContext } from '@llmbench/plugin-api';
import rate, { sweepRates } from './index.js';

const errors: string[] = [];
const logger: Logger = { debug() {}, info() {}, warn() {}, error: (m) => void errors.push(m) };
const ctx: PluginContext = { logger, clock: { now: () => 0 }, scenarioDir: '.', seed: 1 };
const input = { requests: 120, servers: 3, caps: [5, 5, Infinity] };

async function strategy(options: Record<string, unknown>) {
  return rate.create(ctx, rate.options.parse(options));
}

async function points(options: Record<string, unknown>) {
  return (await strategy(options)).points(input);
}

/** A measured point, as far as the strategy reads it: successful requests per second. */
function measured(rps: number, successRate = 1, sweep?: ExperimentResult['sweep']): ExperimentResult {
  return { summary: { requests_per_second: rps, success_rate: successRate }, ...(sweep ? { sweep } : {}) } as ExperimentResult;
}

const paths = (options: Record<string, unknown>) => rate.options.safeParse(options).error?.issues.map((i) => i.path);

describe('points', () => {
  test('one open-loop point at `rate` per second, in flight bounded by max_in_flight', async () => {
    expect(await points({ rate: 12.5, arrivals: 'poisson', max_in_flight: 64 })).toEqual([
      { concurrency: 64, rate: 12.5, arrivals: 'poisson', params: { rate: 12.5, arrivals: 'poisson' } },
    ]);
  });

  test('arrivals default to uniform and max_in_flight to 1000', async () => {
    expect(await points({ rate: 5 })).toEqual([
      { concurrency: 1000, rate: 5, arrivals: 'uniform', params: { rate: 5, arrivals: 'uniform' } },
    ]);
  });

  test('gamma arrivals carry their burstiness into the point and its params, 1 by default', async () => {
    expect(await points({ rate: 5, arrivals: 'gamma', burstiness: 0.25 })).toEqual([
      {
        concurrency: 1000,
        rate: 5,
        arrivals: 'gamma',
        burstiness: 0.25,
        params: { rate: 5, arrivals: 'gamma', burstiness: 0.25 },
      },
    ]);
    expect((await points({ rate: 5, arrivals: 'gamma' }))[0]).toMatchObject({ burstiness: 1, params: { burstiness: 1 } });
  });

  test('no barrier, and the workload keeps its request count and servers', async () => {
    const [point] = await points({ rate: 5 });
    expect([point!.barrier, point!.requests, point!.servers]).toEqual([undefined, undefined, undefined]);
  });
});

describe('rates: a fixed sweep', () => {
  test('one labelled point per rate, in the order given, repeats dropped, each with the saturation rule', async () => {
    const planned = await points({
      rates: [20, 5, 10, 5],
      arrivals: 'poisson',
      max_in_flight: 50,
      saturation: { tolerance: 0.1, p95_factor: 3 },
    });
    expect(planned.map((p) => [p.label, p.rate, p.concurrency, p.arrivals])).toEqual([
      ['rate=20', 20, 50, 'poisson'],
      ['rate=5', 5, 50, 'poisson'],
      ['rate=10', 10, 50, 'poisson'],
    ]);
    expect(planned.map((p) => p.saturation)).toEqual(Array(3).fill({ tolerance: 0.1, latencyFactor: 3 }));
  });

  test('the saturation tolerance defaults to 5% with no latency test', async () => {
    expect((await points({ rates: [1, 2] }))[0]!.saturation).toEqual({ tolerance: 0.05 });
  });

  test('plans nothing after its points', async () => {
    expect((await strategy({ rates: [1, 2] })).next).toBeUndefined();
  });

  test('with saturation.stop, the sweep stops after the first saturated point', async () => {
    const s = await strategy({ rates: [1, 2, 3], saturation: { stop: true } });
    const ok = { index: 0, baseline: 'a', servers: 1, throughput_per_server: 1, speedup: 1, efficiency: null, saturated: false };
    expect(s.shouldContinue!([measured(1, 1, ok)])).toBe(true);
    expect(s.shouldContinue!([measured(1, 1, ok), measured(1.2, 1, { ...ok, saturated: true })])).toBe(false);
    expect((await strategy({ rates: [1, 2, 3] })).shouldContinue!([measured(1.2, 1, { ...ok, saturated: true })])).toBe(true);
  });
});

describe("sweep: guidellm's adaptive sweep", () => {
  test("starts with one synchronous point: 1 in flight, closed loop, the workload's requests", async () => {
    expect(await points({ sweep: {} })).toEqual([
      { label: 'synchronous', concurrency: 1, requests: 120, params: { profile: 'synchronous', concurrency: 1 } },
    ]);
  });

  test('then a throughput point with max_in_flight (at most the request count) in flight', async () => {
    const s = await strategy({ sweep: {}, max_in_flight: 64 });
    s.points(input);
    expect(s.next!([measured(4)])).toEqual([
      { label: 'throughput', concurrency: 64, requests: 120, params: { profile: 'throughput', concurrency: 64 } },
    ]);
    const capped = await strategy({ sweep: {} });
    capped.points(input);
    expect(capped.next!([measured(4)])![0]!.concurrency).toBe(120);
  });

  test('then `rates` paced points evenly spaced above the synchronous throughput up to the maximum, from successful requests', async () => {
    const s = await strategy({ sweep: { rates: 4 }, arrivals: 'gamma', burstiness: 0.5 });
    s.points(input);
    const next = s.next!([measured(10), measured(60, 0.5)])!;
    expect(next.map((p) => p.rate)).toEqual([15, 20, 25, 30]);
    expect(next[0]).toMatchObject({
      label: 'rate=15',
      arrivals: 'gamma',
      burstiness: 0.5,
      concurrency: 1000,
      saturation: { tolerance: 0.05 },
    });
  });

  test('and then nothing more', async () => {
    const s = await strategy({ sweep: { rates: 2 } });
    s.points(input);
    expect(s.next!([measured(10), measured(30), measured(20), measured(30)])).toBeUndefined();
  });

  test('with no success at either measuring point there is no range: it ends the sweep and says why', async () => {
    const s = await strategy({ sweep: {} });
    s.points(input);
    errors.length = 0;
    expect(s.next!([measured(5, 0), measured(9, 0)])).toBeUndefined();
    expect(errors).toEqual([
      'rate sweep: no request succeeded at the synchronous or the throughput point, so there is no rate range to sweep',
    ]);
  });
});

describe('sweepRates', () => {
  test('n rates evenly above low up to high, rounded to 4 significant digits', () => {
    expect(sweepRates(1, 2, 3)).toEqual([1.333, 1.667, 2]);
  });

  test('a maximum below the synchronous rate sweeps no range: one rate, the synchronous one', () => {
    expect(sweepRates(8, 5, 4)).toEqual([8]);
  });

  test('a synchronous rate of 0 still gives positive rates', () => {
    expect(sweepRates(0, 8, 4)).toEqual([2, 4, 6, 8]);
  });
});

describe('options', () => {
  test('one of rate, rates and sweep is required', () => {
    expect(paths({})).toEqual([['rate']]);
  });

  test('rate, rates and sweep together are rejected', () => {
    expect(paths({ rate: 1, rates: [2] })).toEqual([['rate']]);
    expect(paths({ rates: [2], sweep: {} })).toEqual([['rate']]);
  });

  test.each([0, -2, '10'])('rate %j is rejected', (value) => {
    expect(paths({ rate: value })).toEqual([['rate']]);
  });

  test.each([[[]], [[1, 0]]])('rates %j are rejected', (value) => {
    expect(paths({ rates: value })?.[0]?.[0]).toBe('rates');
  });

  test.each([0, 101, 2.5])('sweep.rates %j is rejected', (value) => {
    expect(paths({ sweep: { rates: value } })).toEqual([['sweep', 'rates']]);
  });

  test('arrivals other than uniform, poisson or gamma are rejected', () => {
    expect(paths({ rate: 5, arrivals: 'bursty' })).toEqual([['arrivals']]);
  });

  test.each([0, -0.5])('burstiness %j is rejected', (value) => {
    expect(paths({ rate: 5, arrivals: 'gamma', burstiness: value })).toEqual([['burstiness']]);
  });

  test('burstiness without gamma arrivals is rejected, with the fix', () => {
    const issues = rate.options.safeParse({ rate: 5, arrivals: 'poisson', burstiness: 0.5 }).error?.issues ?? [];
    expect(issues.map((i) => [i.path.join('.'), i.message, (i as { params?: { hint?: string } }).params?.hint])).toEqual([
      ['burstiness', 'burstiness is for gamma arrivals', 'add arrivals: gamma'],
    ]);
  });

  test.each([[{ tolerance: 1 }], [{ tolerance: -0.1 }], [{ p95_factor: 1 }]])('saturation %j is rejected', (value) => {
    expect(paths({ rates: [1], saturation: value })?.[0]?.[0]).toBe('saturation');
  });

  test.each([0, 2.5, -1])('max_in_flight %j is rejected', (value) => {
    expect(paths({ rate: 5, max_in_flight: value })).toEqual([['max_in_flight']]);
  });

  test('every invalid option is reported, not only the first', () => {
    const issues = rate.options.safeParse({ rate: 0, arrivals: 'bursty', max_in_flight: 0, burst: 3 }).error?.issues ?? [];
    expect(issues.map((i) => (i.code === 'unrecognized_keys' ? i.keys.join() : i.path.join())).sort()).toEqual([
      'arrivals',
      'burst',
      'max_in_flight',
      'rate',
    ]);
  });
});
