import { describe, expect, test } from 'vitest';
import { keepGoing, ScalingOptions, scalingPoints } from './index.js';

const opts = (o: Record<string, unknown>) => ScalingOptions.parse(o);
const done = (...rps: number[]) => rps.map((r) => ({ summary: { requests_per_second: r, success_rate: 1 } }));

describe('concurrency sweep', () => {
  test("defaults to the seed's levels 1 5 10 20 50 100 over every server", () => {
    const points = scalingPoints(opts({}), { requests: 100, servers: 3, caps: [5, 5, 5] });
    expect(points.map((p) => p.concurrency)).toEqual([1, 5, 10, 20, 50, 100]);
    expect(points.map((p) => p.label)).toContain('concurrency=20');
    expect(points.every((p) => p.servers === undefined && p.requests === 100)).toBe(true);
  });
});

describe('server sweep', () => {
  test('counts are capped at the servers available, without repeats', () => {
    const points = scalingPoints(opts({ sweep: 'servers' }), { requests: 50, servers: 3, caps: [5, 5, 5] });
    expect(points.map((p) => p.servers)).toEqual([1, 2, 3]);
  });

  test('concurrency saturates the chosen servers by default: the sum of their caps', () => {
    const points = scalingPoints(opts({ sweep: 'servers', server_counts: [1, 3] }), {
      requests: 50,
      servers: 3,
      caps: [5, 8, Infinity],
    });
    expect(points.map((p) => [p.servers, p.concurrency])).toEqual([
      [1, 5],
      [3, 5 + 8 + 10],
    ]);
  });

  test('a fixed concurrency or one per server overrides the default', () => {
    const input = { requests: 50, servers: 5, caps: [5, 5, 5, 5, 5] };
    expect(scalingPoints(opts({ sweep: 'servers', concurrency: 12 }), input).map((p) => p.concurrency)).toEqual([12, 12, 12, 12]);
    expect(scalingPoints(opts({ sweep: 'servers', concurrency_per_server: 3 }), input).map((p) => p.concurrency)).toEqual([
      3, 6, 9, 15,
    ]);
  });
});

describe('early stop', () => {
  test('off by default: every point runs', () => {
    expect(keepGoing(opts({}), done(10, 10, 10, 10))).toBe(true);
  });

  test('stops once a point fails to beat the best so far by min_gain', () => {
    const o = opts({ early_stop: true });
    expect(keepGoing(o, done(10, 20))).toBe(true);
    expect(keepGoing(o, done(10, 20, 20.5))).toBe(false);
  });

  test('patience allows that many flat points before stopping', () => {
    const o = opts({ early_stop: { min_gain: 0.1, patience: 2 } });
    expect(keepGoing(o, done(10, 20, 21))).toBe(true);
    expect(keepGoing(o, done(10, 20, 21, 22))).toBe(false);
    expect(keepGoing(o, done(10, 20, 21, 30))).toBe(true);
  });
});

describe('options', () => {
  test('concurrency and concurrency_per_server together, or on a concurrency sweep, are rejected', () => {
    expect(
      ScalingOptions.safeParse({ sweep: 'servers', concurrency: 10, concurrency_per_server: 5 }).error?.issues[0],
    ).toMatchObject({ path: ['concurrency_per_server'] });
    expect(ScalingOptions.safeParse({ concurrency: 10 }).error?.issues[0]).toMatchObject({ path: ['sweep'] });
  });
});

test('early stop counts successful requests only: failing faster is not growth', () => {
  const o = opts({ early_stop: true });
  expect(
    keepGoing(o, [
      { summary: { requests_per_second: 100, success_rate: 1 } },
      { summary: { requests_per_second: 300, success_rate: 0.3 } },
    ]),
  ).toBe(false);
});
