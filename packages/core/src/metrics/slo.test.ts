import { describe, expect, test } from 'vitest';
import type { OkOutcome } from '@llmbench/plugin-api';
import { resolveSlo } from './slo.js';
import { summarizeTally } from './stats.js';
import { Tally } from './tally.js';

/** A streamed answer sent at 0: first chunk at `ttft`, then chunks at the given gaps; `tokens` output tokens. */
function answer(ttft: number, gaps: readonly number[], tokens: number): { outcome: OkOutcome; e2el: number } {
  const times = [ttft];
  for (const g of gaps) times.push(times[times.length - 1]! + g);
  return {
    outcome: {
      kind: 'ok',
      status: 200,
      firstTokenAt: ttft,
      chunkTimes: times,
      usage: { outputTokens: tokens, source: 'server' },
    },
    e2el: times[times.length - 1]!,
  };
}

function record(t: Tally, a: { outcome: OkOutcome; e2el: number }): void {
  t.started(0, 0);
  t.succeeded(0, a.e2el);
  t.streamed(a.outcome, 0, a.e2el);
}

const SERVERS = [{ id: 's' }];

/** HDR percentiles are the highest value equivalent to the recorded one (0.1% resolution). */
const whole = (x: number | null | undefined) => (x == null ? x : Math.round(x));

describe('SLO evaluation', () => {
  const slo = resolveSlo({ ttft_ms: { p95: 50 }, tpot_ms: { max: 10 }, itl_ms: { p50: 20 } })!;

  test('a request counts toward goodput only within every limit (ITL: its largest gap)', () => {
    const t = new Tally(1, slo.limits);
    record(t, answer(40, [5, 5, 5], 4)); // TPOT 5, largest gap 5: within all
    record(t, answer(60, [5, 5, 5], 4)); // TTFT 60 > 50, TPOT 5
    record(t, answer(40, [5, 30, 5], 4)); // largest gap 30 > 20, TPOT 13.3 > 10
    record(t, answer(40, [12, 12, 12], 4)); // TPOT 12 > 10, gaps within 20
    expect(t.slo).toEqual({ met: 1, ttft: 3, itl: 3, tpot: 2, e2el: 0 });
  });

  test('a request lacking a measure does not meet an objective on it', () => {
    const t = new Tally(1, slo.limits);
    t.started(0, 0);
    t.succeeded(0, 10);
    t.streamed({ kind: 'ok', status: 200, usage: { outputTokens: 4, source: 'server' } }, 0, 10); // not streamed: no TTFT, ITL, TPOT
    record(t, answer(10, [], 1)); // one chunk, one token: TTFT only
    expect(t.slo).toEqual({ met: 0, ttft: 1, itl: 0, tpot: 0, e2el: 0 });
  });

  test('counts merge across threads and survive serialization', () => {
    const a = new Tally(1, slo.limits);
    const b = new Tally(1, slo.limits);
    record(a, answer(40, [5, 5, 5], 4));
    record(b, answer(40, [5, 5, 5], 4));
    record(b, answer(60, [5, 5, 5], 4));
    const merged = new Tally(1);
    merged.merge(Tally.deserialize(a.serialize()));
    merged.merge(Tally.deserialize(b.serialize()));
    expect(merged.slo).toEqual({ met: 2, ttft: 2, itl: 3, tpot: 3, e2el: 0 });
  });

  test('without limits nothing is counted and results carry no goodput', () => {
    const t = new Tally(1);
    record(t, answer(40, [5], 2));
    const s = summarizeTally(t, SERVERS, 1000);
    expect([t.slo.met, s.goodput, s.slo_met_requests, s.slo_met, s.slo]).toEqual([0, null, null, null, []]);
  });

  test('goodput = requests within every limit / wall time; each objective met when the run value at its bound is within the limit', () => {
    const t = new Tally(1, slo.limits);
    for (let i = 0; i < 19; i++) record(t, answer(40, [5, 5, 5], 4));
    record(t, answer(60, [5, 5, 5], 4));
    const s = summarizeTally(t, SERVERS, 2000, { slo });
    expect(s.slo_met_requests).toBe(19);
    expect(s.goodput).toBe(9.5);
    expect(s.slo.map((o) => [o.metric, o.bound, whole(o.actual), o.met, o.met_requests])).toEqual([
      ['ttft_ms', 'p95', 40, true, 19],
      ['itl_ms', 'p50', 5, true, 20],
      ['tpot_ms', 'max', 5, true, 20],
    ]);
    expect(s.slo_met).toBe(true);
  });

  test('a percentile over its limit fails the verdict', () => {
    const strict = resolveSlo({ ttft_ms: { p95: 50 } })!;
    const t = new Tally(1, strict.limits);
    for (let i = 0; i < 18; i++) record(t, answer(40, [5], 2));
    for (let i = 0; i < 2; i++) record(t, answer(80, [5], 2));
    const s = summarizeTally(t, SERVERS, 1000, { slo: strict });
    expect([whole(s.slo[0]!.actual), s.slo[0]!.met, s.slo_met, s.slo_met_requests]).toEqual([80, false, false, 18]);
  });

  test('extra percentiles are computed from the histogram', () => {
    const t = new Tally(1);
    for (let i = 1; i <= 1000; i++) record(t, answer(i, [1], 2));
    const s = summarizeTally(t, SERVERS, 1000, { percentiles: [99.9] });
    expect(Object.keys(s.ttft_ms!.extra!)).toEqual(['p99.9']);
    expect(whole(s.ttft_ms!.extra!['p99.9'])).toBe(999);
    expect(whole(s.latency_ms!.extra!['p99.9'])).toBe(1000);
    expect(s.servers[0]!.latency_ms!.extra).toEqual(s.latency_ms!.extra);
  });
});
