import { describe, expect, test } from 'vitest';
import type { FailureOutcome, LatencyStats } from '@llmbench/plugin-api';
import {
  createHistogram,
  decodeHistogram,
  emptyMoments,
  encodeHistogram,
  latencyStats,
  percentileMs,
  usToMs,
  type Histogram,
} from './histogram.js';
import { failureMessage, MAX_SAMPLES_PER_KIND, Tally, totalFailures } from './tally.js';

/** HDR histograms with 3 significant digits report values to within 0.1%. */
const RESOLUTION = 0.001;

/** Records one successful request of `ms` on `server`. */
function succeed(t: Tally, ms: number, server = 0): void {
  t.started(server, 0);
  t.succeeded(server, ms);
}

function fail(t: Tally, outcome: FailureOutcome, server = 0): void {
  t.started(server, 0);
  t.failed(server, outcome);
}

function stats(t: Tally, server = 0): LatencyStats {
  const s = t.servers[server]!;
  const out = latencyStats(s.latency, s.moments);
  if (!out) throw new Error('expected latency stats');
  return out;
}

/**
 * Asserts an HDR percentile is the exact nearest-rank value to within the histogram's resolution.
 * HDR reports the highest value equivalent to the recorded one, so it never falls below it.
 */
function expectWithinResolution(actual: number, exact: number): void {
  expect(actual).toBeGreaterThanOrEqual(exact);
  expect(actual).toBeLessThanOrEqual(exact * (1 + RESOLUTION));
}

const oneToThousand = Array.from({ length: 1000 }, (_, i) => i + 1);

describe('percentile math against known samples', () => {
  test('1..1000 ms: p50 500, p90 900, p95 950, p99 990 within 0.1%', () => {
    const t = new Tally(1);
    for (const ms of oneToThousand) succeed(t, ms);
    const s = stats(t);
    expectWithinResolution(s.p50, 500);
    expectWithinResolution(s.p90, 900);
    expectWithinResolution(s.p95, 950);
    expectWithinResolution(s.p99, 990);
  });

  test('1..1000 ms: min 1, max 1000 and avg 500.5 are exact', () => {
    const t = new Tally(1);
    for (const ms of oneToThousand) succeed(t, ms);
    expect(stats(t)).toMatchObject({ min: 1, max: 1000, avg: 500.5 });
  });

  test('1..1000 ms: stddev is the exact population stddev sqrt((n^2 - 1) / 12)', () => {
    const t = new Tally(1);
    for (const ms of oneToThousand) succeed(t, ms);
    // sqrt(999999 / 12) = sqrt(83333.25) = 288.67499..., rounded to 0.001 ms
    expect(stats(t).stddev).toBe(288.675);
  });

  test('recording order does not change any statistic', () => {
    const up = new Tally(1);
    const down = new Tally(1);
    for (const ms of oneToThousand) succeed(up, ms);
    for (const ms of [...oneToThousand].reverse()) succeed(down, ms);
    expect(stats(down)).toEqual(stats(up));
  });

  test('a single value: every percentile equals it within 0.1%, min = max = avg, stddev 0', () => {
    const t = new Tally(1);
    succeed(t, 123.456);
    const s = stats(t);
    for (const p of [s.p50, s.p90, s.p95, s.p99]) expectWithinResolution(p, 123.456);
    for (const p of [0.1, 99.9, 100]) expectWithinResolution(percentileMs(t.servers[0]!.latency, p), 123.456);
    expect(s).toMatchObject({ min: 123.456, max: 123.456, avg: 123.456, stddev: 0 });
  });

  test('skewed sample (990 x 2 ms, 10 x 100 ms): p50 2, p99 2, p99.5 100, max 100', () => {
    // Nearest rank of 1000 samples: p99 is the 990th value (the last 2 ms), p99.5 the 995th (100 ms).
    const t = new Tally(1);
    for (let i = 0; i < 990; i++) succeed(t, 2);
    for (let i = 0; i < 10; i++) succeed(t, 100);
    const s = stats(t);
    const h = t.servers[0]!.latency;
    expectWithinResolution(s.p50, 2);
    expectWithinResolution(s.p95, 2);
    expectWithinResolution(s.p99, 2);
    expectWithinResolution(percentileMs(h, 99.1), 100);
    expectWithinResolution(percentileMs(h, 99.5), 100);
    expect(s.max).toBe(100);
    expect(s.min).toBe(2);
    expect(s.avg).toBe(2.98); // (990 x 2 + 10 x 100) / 1000
  });

  test('skewed sample stddev is exact: sqrt(E[x^2] - E[x]^2)', () => {
    const t = new Tally(1);
    for (let i = 0; i < 990; i++) succeed(t, 2);
    for (let i = 0; i < 10; i++) succeed(t, 100);
    // E[x^2] = (990 x 4 + 10 x 10000) / 1000 = 103.96; E[x]^2 = 8.8804; variance 95.0796
    expect(stats(t).stddev).toBe(Math.round(Math.sqrt(95.0796) * 1000) / 1000); // 9.751
  });

  test('latencies below one microsecond are recorded as 1 us in the histogram', () => {
    const t = new Tally(1);
    succeed(t, 0.0002);
    expect(t.servers[0]!.latency.totalCount).toBe(1);
    expect(stats(t).p50).toBe(0.001);
  });

  test('usToMs rounds to 0.001 ms', () => {
    expect(usToMs(1234.4)).toBe(1.234);
    expect(usToMs(1234.6)).toBe(1.235);
  });
});

describe('latencyStats', () => {
  test('returns null when nothing succeeded', () => {
    expect(latencyStats(createHistogram(), emptyMoments())).toBeNull();
  });

  test('returns null for a server that only failed', () => {
    const t = new Tally(1);
    fail(t, { kind: 'http_error', status: 500 });
    fail(t, { kind: 'timeout', phase: 'total' });
    expect(latencyStats(t.servers[0]!.latency, t.servers[0]!.moments)).toBeNull();
  });
});

describe('encodeHistogram / decodeHistogram', () => {
  const sample = (): Histogram => {
    const h = createHistogram();
    for (const us of [1, 7, 999, 2048, 2049, 123_456, 1_000_000, 60_000_000]) h.recordValue(us);
    for (let i = 0; i < 500; i++) h.recordValue(1000 + i * 37);
    return h;
  };

  test('round-trips the total count and the whole count distribution', () => {
    const h = sample();
    h.recordValueWithCount(5000, 42);
    const back = decodeHistogram(encodeHistogram(h));
    expect(back.totalCount).toBe(h.totalCount);
    // The full percentile table lists value, percentile and cumulative count at every step (the
    // '#[Max' footer line is left out: see the min/max test below).
    const table = (x: Histogram) =>
      x
        .outputPercentileDistribution(20)
        .split('\n')
        .filter((l) => !l.includes('#[Max'));
    expect(table(back)).toEqual(table(h));
  });

  test('round-trips every percentile exactly', () => {
    const h = sample();
    const back = decodeHistogram(encodeHistogram(h));
    for (const p of [0, 1, 25, 50, 90, 95, 99, 99.9, 100]) expect(back.getValueAtPercentile(p)).toBe(h.getValueAtPercentile(p));
  });

  test('round-trips min and max to within the histogram resolution', () => {
    // The encoding carries bucket counts only, so a decoded max is its bucket's highest equivalent
    // value (60,000,000 us comes back as 60,030,975 us). Exact min/max live in Moments instead.
    const h = sample();
    const back = decodeHistogram(encodeHistogram(h));
    expect(back.minNonZeroValue).toBe(h.minNonZeroValue);
    expect(back.maxValue).toBeGreaterThanOrEqual(h.maxValue);
    expect(back.maxValue).toBeLessThanOrEqual(h.maxValue * (1 + RESOLUTION));
  });

  test('an empty histogram round-trips as empty', () => {
    expect(decodeHistogram(encodeHistogram(createHistogram())).totalCount).toBe(0);
  });

  test('a decoded histogram can take further merges, including values beyond the original range', () => {
    const small = createHistogram();
    small.recordValue(10);
    const back = decodeHistogram(encodeHistogram(small));
    const big = createHistogram();
    big.recordValue(2 ** 30);
    back.add(big);
    expect(back.totalCount).toBe(2);
    expect(back.getValueAtPercentile(100)).toBeGreaterThanOrEqual(2 ** 30);
    // And records beyond it, as a deserialized tally's histogram is used as it is.
    const alone = decodeHistogram(encodeHistogram(small));
    alone.recordValue(2 ** 30);
    expect(alone.totalCount).toBe(2);
    expect(alone.getValueAtPercentile(100)).toBeGreaterThanOrEqual(2 ** 30);
  });
});

describe('Tally.merge', () => {
  const values = Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 1999) + 0.5 + (i % 3) * 0.25);

  const split = () => {
    const all = new Tally(2);
    const a = new Tally(2);
    const b = new Tally(2);
    values.forEach((ms, i) => {
      const server = i % 2;
      succeed(all, ms, server);
      succeed(i < 1200 ? a : b, ms, server);
    });
    return { all, a, b };
  };

  test('merging two tallies gives the same latency stats per server as one tally that saw everything', () => {
    const { all, a, b } = split();
    a.merge(b);
    for (const server of [0, 1]) {
      const merged = stats(a, server);
      const whole = stats(all, server);
      expect(merged.p50).toBe(whole.p50);
      expect(merged.p90).toBe(whole.p90);
      expect(merged.p95).toBe(whole.p95);
      expect(merged.p99).toBe(whole.p99);
      expect(merged.min).toBe(whole.min);
      expect(merged.max).toBe(whole.max);
      expect(merged.avg).toBe(whole.avg);
      expect(merged.stddev).toBeCloseTo(whole.stddev, 3);
    }
  });

  test('merging adds request and success counts and histogram totals', () => {
    const { all, a, b } = split();
    a.merge(b);
    for (const server of [0, 1]) {
      expect(a.servers[server]!.requests).toBe(1000);
      expect(a.servers[server]!.successes).toBe(1000);
      expect(a.servers[server]!.latency.totalCount).toBe(all.servers[server]!.latency.totalCount);
      expect(a.servers[server]!.moments.count).toBe(1000);
    }
  });

  test('merging into an empty tally reproduces the other tally', () => {
    const { all } = split();
    const empty = new Tally(2);
    empty.merge(all);
    expect(stats(empty, 0)).toEqual(stats(all, 0));
    expect(stats(empty, 1)).toEqual(stats(all, 1));
  });

  test('failures by kind add up across merged tallies', () => {
    const a = new Tally(1);
    const b = new Tally(1);
    fail(a, { kind: 'http_error', status: 500 });
    fail(a, { kind: 'http_error', status: 503 });
    fail(a, { kind: 'timeout', phase: 'total' });
    fail(b, { kind: 'http_error', status: 500 });
    fail(b, { kind: 'connection_error', code: 'ECONNRESET' });
    fail(b, { kind: 'aborted' });
    succeed(b, 5);
    a.merge(b);
    expect(a.servers[0]!.failures).toEqual({ http_error: 3, timeout: 1, connection_error: 1, protocol_error: 0, aborted: 1 });
    expect(totalFailures(a.servers[0]!.failures)).toBe(6);
    expect(a.servers[0]!.requests).toBe(7);
    expect(a.servers[0]!.successes).toBe(1);
  });

  test('merging takes the maximum of max-in-flight, overall and per server', () => {
    const a = new Tally(1);
    const b = new Tally(1);
    for (let i = 0; i < 3; i++) a.started(0, 0);
    for (let i = 0; i < 5; i++) b.started(0, 0);
    a.merge(b);
    expect(a.maxInFlight).toBe(5);
    expect(a.servers[0]!.maxInFlight).toBe(5);
  });

  test('merging pools queue times and counts the requests that waited', () => {
    const a = new Tally(1);
    const b = new Tally(1);
    a.started(0, 4);
    a.started(0, 0);
    b.started(0, 7);
    a.merge(b);
    const s = a.servers[0]!;
    expect(s.waited).toBe(2);
    expect(s.queue.moments).toMatchObject({ count: 3, sum: 11, max: 7 });
  });

  test('busy time and ejections survive serialization and add up on merge', () => {
    const a = new Tally(1);
    a.servers[0]!.busyMs = 120;
    a.servers[0]!.ejections = 2;
    const b = Tally.deserialize(a.serialize());
    b.merge(a);
    expect(b.servers[0]).toMatchObject({ busyMs: 240, ejections: 4 });
  });
});

describe('failure samples', () => {
  test('repeated messages are counted per distinct message and kind', () => {
    const t = new Tally(1);
    fail(t, { kind: 'http_error', status: 500, message: 'boom' });
    fail(t, { kind: 'http_error', status: 500, message: 'boom' });
    fail(t, { kind: 'http_error', status: 429 });
    fail(t, { kind: 'http_error', status: 429, retryAfterMs: 1500, message: 'slow down' });
    fail(t, { kind: 'timeout', phase: 'first_byte' });
    expect(t.failureSamples()).toEqual([
      { kind: 'http_error', message: 'HTTP 500: boom', count: 2 },
      { kind: 'http_error', message: 'HTTP 429', count: 1 },
      { kind: 'http_error', message: 'HTTP 429 (Retry-After 1.5 s): slow down', count: 1 },
      { kind: 'timeout', message: 'first_byte timeout', count: 1 },
    ]);
  });

  test(`at most ${MAX_SAMPLES_PER_KIND} distinct messages are reported per kind: the most frequent, ties by message`, () => {
    const t = new Tally(1);
    for (let status = 500; status < 508; status++) fail(t, { kind: 'http_error', status });
    fail(t, { kind: 'http_error', status: 500 });
    fail(t, { kind: 'http_error', status: 507 }); // seen after the first five: still counted
    for (let i = 0; i < 7; i++) fail(t, { kind: 'protocol_error', message: `bad ${i}` });
    const samples = t.failureSamples();
    expect(samples.filter((s) => s.kind === 'http_error')).toEqual([
      { kind: 'http_error', message: 'HTTP 500', count: 2 },
      { kind: 'http_error', message: 'HTTP 507', count: 2 },
      { kind: 'http_error', message: 'HTTP 501', count: 1 },
      { kind: 'http_error', message: 'HTTP 502', count: 1 },
      { kind: 'http_error', message: 'HTTP 503', count: 1 },
    ]);
    expect(samples.filter((s) => s.kind === 'protocol_error').map((s) => s.message)).toEqual([
      'bad 0',
      'bad 1',
      'bad 2',
      'bad 3',
      'bad 4',
    ]);
    // The failure counts themselves are not capped.
    expect(t.servers[0]!.failures.http_error).toBe(10);
  });

  test('merging adds counts of shared messages and respects the per-kind cap', () => {
    const a = new Tally(1);
    const b = new Tally(1);
    for (const status of [500, 501, 502]) fail(a, { kind: 'http_error', status });
    fail(a, { kind: 'http_error', status: 500 });
    for (const status of [500, 500, 500, 503, 504, 505, 506]) fail(b, { kind: 'http_error', status });
    a.merge(b);
    expect(a.failureSamples()).toEqual([
      { kind: 'http_error', message: 'HTTP 500', count: 5 },
      { kind: 'http_error', message: 'HTTP 501', count: 1 },
      { kind: 'http_error', message: 'HTTP 502', count: 1 },
      { kind: 'http_error', message: 'HTTP 503', count: 1 },
      { kind: 'http_error', message: 'HTTP 504', count: 1 },
    ]);
  });

  test('samples are listed in failure-kind order, whatever order they happened in', () => {
    const t = new Tally(1);
    fail(t, { kind: 'aborted' });
    fail(t, { kind: 'protocol_error', message: 'bad json' });
    fail(t, { kind: 'http_error', status: 502 });
    expect(t.failureSamples().map((s) => s.kind)).toEqual(['http_error', 'protocol_error', 'aborted']);
  });
});

describe('failureMessage', () => {
  test.each<[FailureOutcome, string]>([
    [{ kind: 'http_error', status: 503 }, 'HTTP 503'],
    [{ kind: 'http_error', status: 500, message: 'oops' }, 'HTTP 500: oops'],
    [{ kind: 'timeout', phase: 'connect' }, 'connect timeout'],
    [{ kind: 'timeout', phase: 'total', message: 'after 30s' }, 'total timeout: after 30s'],
    [{ kind: 'connection_error', code: 'ECONNREFUSED', message: 'refused' }, 'ECONNREFUSED: refused'],
    [{ kind: 'connection_error', code: 'ECONNRESET' }, 'ECONNRESET'],
    [{ kind: 'connection_error' }, 'connection error'],
    [{ kind: 'protocol_error', message: 'bad json' }, 'bad json'],
    [{ kind: 'aborted' }, 'aborted'],
    [{ kind: 'aborted', message: 'cancelled' }, 'cancelled'],
  ])('%j -> %s', (outcome, message) => {
    expect(failureMessage(outcome)).toBe(message);
  });
});

describe('Tally in-flight accounting', () => {
  test('max in flight is the peak of concurrently started requests, overall and per server', () => {
    const t = new Tally(2);
    t.started(0, 0);
    t.started(0, 0);
    t.started(1, 0);
    t.succeeded(0, 1);
    t.failed(1, { kind: 'aborted' });
    t.started(1, 0);
    expect(t.maxInFlight).toBe(3);
    expect(t.inFlight).toBe(2);
    expect([t.servers[0]!.maxInFlight, t.servers[1]!.maxInFlight]).toEqual([2, 1]);
  });
});
