import { describe, expect, test } from 'vitest';
import type { PluginContext } from '@llmbench/plugin-api';
import rate from './index.js';

const ctx: PluginContext = { logger: { debug() {}, info() {}, warn() {}, error() {} }, clock: { now: () => 0 }, scenarioDir: '.', seed: 1 };
const input = { requests: 120, servers: 3, caps: [5, 5, Infinity] };

async function points(options: Record<string, unknown>) {
  const strategy = await rate.create(ctx, rate.options.parse(options));
  return strategy.points(input);
}

const paths = (options: Record<string, unknown>) => rate.options.safeParse(options).error?.issues.map((i) => i.path);

describe('points', () => {
  test('one open-loop point at `rate` per second, in flight bounded by max_in_flight', async () => {
    expect(await points({ rate: 12.5, arrivals: 'poisson', max_in_flight: 64 })).toEqual([
      { concurrency: 64, rate: 12.5, arrivals: 'poisson', params: { rate: 12.5, arrivals: 'poisson' } },
    ]);
  });

  test('arrivals default to uniform and max_in_flight to 1000', async () => {
    expect(await points({ rate: 5 })).toEqual([{ concurrency: 1000, rate: 5, arrivals: 'uniform', params: { rate: 5, arrivals: 'uniform' } }]);
  });

  test('no barrier, and the workload keeps its request count and servers', async () => {
    const [point] = await points({ rate: 5 });
    expect([point!.barrier, point!.requests, point!.servers]).toEqual([undefined, undefined, undefined]);
  });
});

describe('options', () => {
  test('rate is required', () => {
    expect(paths({})).toEqual([['rate']]);
  });

  test.each([0, -2, '10'])('rate %j is rejected', (value) => {
    expect(paths({ rate: value })).toEqual([['rate']]);
  });

  test('arrivals other than uniform or poisson are rejected', () => {
    expect(paths({ rate: 5, arrivals: 'bursty' })).toEqual([['arrivals']]);
  });

  test.each([0, 2.5, -1])('max_in_flight %j is rejected', (value) => {
    expect(paths({ rate: 5, max_in_flight: value })).toEqual([['max_in_flight']]);
  });

  test('every invalid option is reported, not only the first', () => {
    const issues = rate.options.safeParse({ rate: 0, arrivals: 'bursty', max_in_flight: 0, burst: 3 }).error?.issues ?? [];
    expect(issues.map((i) => (i.code === 'unrecognized_keys' ? i.keys.join() : i.path.join())).sort()).toEqual(['arrivals', 'burst', 'max_in_flight', 'rate']);
  });
});
