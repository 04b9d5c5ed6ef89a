import { describe, expect, test } from 'vitest';
import { mulberry32, type FailureOutcome, type OkOutcome } from '@llmbench/plugin-api';
import type { Distribution, Histogram } from './histogram.js';
import { MAX_SAMPLES_PER_KIND, Tally, type ServerTally } from './tally.js';

/** One successful request as the engine records it: started, succeeded, then what the response said. */
function ok(t: Tally, server: number, outcome: OkOutcome, sentAt: number, latencyMs: number, queuedMs = 0): void {
  t.started(server, queuedMs);
  t.succeeded(server, latencyMs);
  t.streamed(outcome, sentAt, latencyMs);
}

function fail(t: Tally, server: number, outcome: FailureOutcome): void {
  t.started(server, 0);
  t.failed(server, outcome);
}

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100];

/** Everything a histogram says: its count and its value at many percentiles. */
const histogramView = (h: Histogram) => ({ count: h.totalCount, at: PERCENTILES.map((p) => h.getValueAtPercentile(p)) });
const distributionView = (d: Distribution) => ({ moments: { ...d.moments }, histogram: histogramView(d.histogram) });
const serverView = (s: ServerTally) => ({
  requests: s.requests,
  successes: s.successes,
  failures: { ...s.failures },
  latency: histogramView(s.latency),
  moments: { ...s.moments },
  maxInFlight: s.maxInFlight,
  queue: distributionView(s.queue),
  waited: s.waited,
  busyMs: s.busyMs,
  ejections: s.ejections,
});

/** Everything a tally reports, as plain data to compare. */
function view(t: Tally) {
  return {
    servers: t.servers.map(serverView),
    maxInFlight: t.maxInFlight,
    ttft: distributionView(t.ttft),
    itl: distributionView(t.itl),
    tpot: distributionView(t.tpot),
    serverTtft: distributionView(t.serverTtft),
    serverTps: { ...t.serverTps },
    tokens: { ...t.tokens },
    samples: t.failureSamples(),
  };
}

/** Failures of every kind, at most MAX_SAMPLES_PER_KIND distinct messages each. */
const FAILURES: FailureOutcome[] = [
  ...[500, 502, 503, 429, 408].map((status): FailureOutcome => ({ kind: 'http_error', status })),
  { kind: 'timeout', phase: 'first_byte' },
  { kind: 'timeout', phase: 'total' },
  { kind: 'connection_error', code: 'ECONNRESET', message: 'socket hang up' },
  ...[0, 1, 2].map((i): FailureOutcome => ({ kind: 'protocol_error', message: `bad chunk ${i}` })),
  { kind: 'aborted' },
];

/**
 * A seeded stream of `n` events over three servers: streamed and JSON successes, every token
 * source, server timings and failures of every kind (from `failures`). Times
 * are multiples of 1/4 ms and TPOT divides by powers of two, so every sum is exact in any order.
 */
function record(t: Tally, n: number, seed: number, from = 0, failures = FAILURES): void {
  const random = mulberry32(seed);
  const q = (max: number) => Math.floor(random() * max * 4) / 4;
  for (let i = from; i < from + n; i++) {
    const server = i % 3;
    if (random() < 0.2) {
      fail(t, server, failures[Math.floor(random() * failures.length)]!);
      continue;
    }
    const sentAt = 1000 + i * 10;
    const latency = 20 + q(200);
    const outputTokens = [1, 2, 3, 5, 9][Math.floor(random() * 5)]!;
    const source = (['server', 'counted', 'none'] as const)[Math.floor(random() * 3)]!;
    const streamed = random() < 0.7;
    const first = sentAt + 5 + q(10);
    const outcome: OkOutcome = {
      kind: 'ok',
      ...(random() < 0.9 ? { usage: { inputTokens: 10 + (i % 7), outputTokens, cachedTokens: i % 4, source } } : {}),
      ...(streamed ? { firstTokenAt: first, chunkTimes: Array.from({ length: outputTokens }, (_, k) => first + k * 2.5) } : {}),
      ...(random() < 0.3 ? { serverTiming: { ttftMs: 4 + q(8), tokensPerSecond: 32 + q(64) } } : {}),
    };
    ok(t, server, outcome, sentAt, latency, random() < 0.5 ? 0 : q(30));
  }
}

describe('counts', () => {
  test('requests, successes and failures by kind are counted per server', () => {
    const t = new Tally(2);
    ok(t, 0, { kind: 'ok' }, 0, 10);
    ok(t, 0, { kind: 'ok' }, 0, 12);
    fail(t, 0, { kind: 'timeout', phase: 'total' });
    fail(t, 1, { kind: 'http_error', status: 503 });
    fail(t, 1, { kind: 'http_error', status: 500 });
    fail(t, 1, { kind: 'aborted' });
    expect(t.servers.map((s) => [s.requests, s.successes, s.failures])).toEqual([
      [3, 2, { http_error: 0, timeout: 1, connection_error: 0, protocol_error: 0, aborted: 0 }],
      [3, 0, { http_error: 2, timeout: 0, connection_error: 0, protocol_error: 0, aborted: 1 }],
    ]);
    expect(t.servers.map((s) => s.moments.count)).toEqual([2, 0]);
  });

  test('a discarded (warmup) request leaves no trace but its place in flight', () => {
    const t = new Tally(1);
    t.started(0, 5);
    t.discard(0);
    const s = t.servers[0]!;
    expect([s.requests, s.successes, s.inFlight, t.inFlight, s.maxInFlight]).toEqual([0, 0, 0, 0, 1]);
  });
});

describe('tokens', () => {
  test('input, output and cached tokens sum over successful requests', () => {
    const t = new Tally(1);
    ok(t, 0, { kind: 'ok', usage: { inputTokens: 100, outputTokens: 20, cachedTokens: 64, source: 'server' } }, 0, 10);
    ok(t, 0, { kind: 'ok', usage: { inputTokens: 50, outputTokens: 7, source: 'counted' } }, 0, 10);
    ok(t, 0, { kind: 'ok', usage: { outputTokens: 3, source: 'server' } }, 0, 10);
    expect(t.tokens).toMatchObject({ input: 150, output: 30, cached: 64 });
  });

  test('each request counts once under the source of its counts; no usage at all counts as none', () => {
    const t = new Tally(1);
    ok(t, 0, { kind: 'ok', usage: { outputTokens: 1, source: 'server' } }, 0, 10);
    ok(t, 0, { kind: 'ok', usage: { outputTokens: 1, source: 'server' } }, 0, 10);
    ok(t, 0, { kind: 'ok', usage: { outputTokens: 4, source: 'counted' } }, 0, 10);
    ok(t, 0, { kind: 'ok', usage: { source: 'none' } }, 0, 10);
    ok(t, 0, { kind: 'ok' }, 0, 10);
    expect(t.tokens).toEqual({ input: 0, output: 6, cached: 0, server: 2, counted: 1, estimated: 0, none: 2, cacheReported: 0 });
  });
});

describe('streaming timings', () => {
  // Sent at 1000; chunks with choices at 1040, 1050, 1070, 1100; 4 output tokens; E2EL 120 ms.
  const streamed: OkOutcome = {
    kind: 'ok',
    firstTokenAt: 1040,
    chunkTimes: [1040, 1050, 1070, 1100],
    usage: { outputTokens: 4, source: 'server' },
  };

  test('TTFT is the first chunk with choices minus the send time', () => {
    const t = new Tally(1);
    ok(t, 0, streamed, 1000, 120);
    expect(t.ttft.moments).toMatchObject({ count: 1, sum: 40, min: 40, max: 40 });
  });

  test('ITL is every gap between consecutive chunks, pooled over requests', () => {
    const t = new Tally(1);
    ok(t, 0, streamed, 1000, 120);
    ok(t, 0, { kind: 'ok', firstTokenAt: 2005, chunkTimes: [2005, 2006] }, 2000, 8);
    expect(t.itl.moments).toMatchObject({ count: 4, sum: 10 + 20 + 30 + 1, min: 1, max: 30 });
  });

  test('TPOT is (E2EL - TTFT) / (output tokens - 1)', () => {
    const t = new Tally(1);
    ok(t, 0, streamed, 1000, 120);
    expect(t.tpot.moments.count).toBe(1);
    expect(t.tpot.moments.sum).toBeCloseTo((120 - 40) / 3, 12);
  });

  test('TPOT leaves out requests with one output token or unknown counts', () => {
    const t = new Tally(1);
    ok(t, 0, { ...streamed, usage: { outputTokens: 1, source: 'server' } }, 1000, 120);
    ok(t, 0, { kind: 'ok', firstTokenAt: 1040, chunkTimes: [1040, 1050] }, 1000, 120);
    expect([t.ttft.moments.count, t.tpot.moments.count]).toEqual([2, 0]);
  });

  test('a JSON response (no first token time) adds tokens but no streaming timing', () => {
    const t = new Tally(1);
    ok(t, 0, { kind: 'ok', usage: { outputTokens: 12, source: 'server' } }, 1000, 120);
    expect([t.ttft.moments.count, t.itl.moments.count, t.tpot.moments.count, t.tokens.output]).toEqual([0, 0, 0, 12]);
  });

  test("a server's own timings are kept apart from the client's: its TTFT and its tokens/s", () => {
    const t = new Tally(1);
    ok(t, 0, { kind: 'ok', serverTiming: { ttftMs: 35, tokensPerSecond: 40 } }, 1000, 120);
    ok(t, 0, { kind: 'ok', serverTiming: { tokensPerSecond: 60 } }, 1000, 120);
    expect([t.serverTtft.moments.count, t.serverTtft.moments.sum, t.ttft.moments.count]).toEqual([1, 35, 0]);
    expect(t.serverTps).toEqual({ count: 2, sum: 100, sumSquares: 40 * 40 + 60 * 60, min: 40, max: 60 });
  });
});

describe('failure samples', () => {
  test(`each kind keeps its own ${MAX_SAMPLES_PER_KIND} messages, with counts; the failures themselves are all counted`, () => {
    const t = new Tally(1);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 8; i++) {
        fail(t, 0, { kind: 'protocol_error', message: `bad ${i}` });
        fail(t, 0, { kind: 'connection_error', code: `E${i}` });
      }
    }
    const samples = t.failureSamples();
    expect(samples.filter((s) => s.kind === 'protocol_error')).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({ kind: 'protocol_error', message: `bad ${i}`, count: 2 })),
    );
    expect(samples.filter((s) => s.kind === 'connection_error')).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({ kind: 'connection_error', message: `E${i}`, count: 2 })),
    );
    expect(t.servers[0]!.failures).toMatchObject({ protocol_error: 16, connection_error: 16 });
  });
});

describe('serialize and deserialize', () => {
  test('a tally comes back from serialize + structured clone + deserialize reporting exactly the same', () => {
    const t = new Tally(3);
    record(t, 2000, 11);
    t.servers[1]!.busyMs = 1234.5;
    t.servers[2]!.ejections = 3;
    const back = Tally.deserialize(structuredClone(t.serialize()));
    expect(view(back)).toEqual(view(t));
  });

  test('serializing the deserialized tally gives the same data again', () => {
    const t = new Tally(3);
    record(t, 500, 12);
    const once = t.serialize();
    expect(Tally.deserialize(structuredClone(once)).serialize()).toEqual(once);
  });

  test('an empty tally round-trips as empty', () => {
    const back = Tally.deserialize(structuredClone(new Tally(2).serialize()));
    expect(view(back)).toEqual(view(new Tally(2)));
  });
});

describe('merge', () => {
  test('merging two tallies equals one tally that recorded everything', () => {
    const whole = new Tally(3);
    record(whole, 1500, 21);
    record(whole, 1500, 22, 1500);
    const a = new Tally(3);
    record(a, 1500, 21);
    const b = new Tally(3);
    record(b, 1500, 22, 1500);
    a.merge(b);
    expect(view(a)).toEqual(view(whole));
  });

  test('merging the serialized tallies of threads equals one tally that recorded everything', () => {
    const whole = new Tally(3);
    const merged = new Tally(3);
    for (let thread = 0; thread < 4; thread++) {
      record(whole, 400, 30 + thread, thread * 400);
      const own = new Tally(3);
      record(own, 400, 30 + thread, thread * 400);
      merged.merge(Tally.deserialize(structuredClone(own.serialize())));
    }
    expect(view(merged)).toEqual(view(whole));
  });

  // Each tally counts up to 64 distinct messages per kind and the five most frequent are reported,
  // so a message one thread saw after its first five still counts when another thread sampled it.
  test('sample counts stay exact across a merge when a thread sees more distinct messages than are kept', () => {
    const many = Array.from({ length: 8 }, (_, i): FailureOutcome => ({ kind: 'protocol_error', message: `bad chunk ${i}` }));
    const whole = new Tally(3);
    record(whole, 1500, 41, 0, many);
    record(whole, 1500, 42, 1500, many);
    const a = new Tally(3);
    record(a, 1500, 41, 0, many);
    const b = new Tally(3);
    record(b, 1500, 42, 1500, many);
    a.merge(b);
    expect(a.failureSamples()).toEqual(whole.failureSamples());
  });
});
