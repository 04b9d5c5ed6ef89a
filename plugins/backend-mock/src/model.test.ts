// Over 400 lines on purpose: the latency model's tests (fixed, tokens, shared accelerator, abort),
// one unit's behaviour in one file.
import { getEventListeners } from 'node:events';
import { describe, expect, test } from 'vitest';
import type { Outcome } from '@llmbench/plugin-api';
import { delay, sampleLatency, SharedAccelerator, type Scheduler } from './model.js';
import { gaussian, hashString, mulberry32 } from '@llmbench/plugin-api';
import { answerLength, createMockServer, finishReason, MockOptionsSchema } from './index.js';

// ---------------------------------------------------------------- fake scheduler

/** Lets every pending promise callback run (no wall-clock time involved). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A virtual clock: timers fire only when the test advances time, in order of due time (ties in
 * order of creation), with the clock set to each timer's due time while it runs. Promise callbacks
 * are flushed after every timer, so code reacting to a timer sees the time it fired at.
 */
class FakeScheduler implements Scheduler {
  private time = 0;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  private next(): [number, Timer] | undefined {
    let best: [number, Timer] | undefined;
    for (const entry of this.timers) {
      const [, t] = entry;
      if (!best || t.at < best[1].at || (t.at === best[1].at && t.seq < best[1].seq)) best = entry;
    }
    return best;
  }

  /** Moves the clock forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await this.fireWhile((t) => t.at <= end);
    this.time = end;
    await flush();
  }

  /** Fires timers until none is left. */
  async runAll(maxTimers = 1_000_000): Promise<void> {
    await this.fireWhile(() => true, maxTimers);
  }

  private async fireWhile(due: (t: Timer) => boolean, maxTimers = 1_000_000): Promise<void> {
    await flush();
    for (let fired = 0; ; fired++) {
      if (fired >= maxTimers) throw new Error(`more than ${maxTimers} timers fired`);
      const next = this.next();
      if (!next || !due(next[1])) return;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
      await flush();
    }
  }
}

interface Settled {
  at?: number;
  error?: unknown;
}

/** Records the virtual time a promise settles at, and its rejection if any. */
function track(scheduler: FakeScheduler, promise: Promise<unknown>): Settled {
  const s: Settled = {};
  promise.then(
    () => {
      s.at = scheduler.now();
    },
    (error: unknown) => {
      s.at = scheduler.now();
      s.error = error;
    },
  );
  return s;
}

// ---------------------------------------------------------------- fake scheduler self-check

describe('the fake scheduler used by these tests', () => {
  test('fires timers in due-time order and sets the clock to each due time', async () => {
    const s = new FakeScheduler();
    const fired: Array<[string, number]> = [];
    s.setTimeout(() => fired.push(['b', s.now()]), 20);
    s.setTimeout(() => fired.push(['a', s.now()]), 10);
    const c = s.setTimeout(() => fired.push(['c', s.now()]), 15);
    s.clearTimeout(c);
    await s.advance(12);
    expect(fired).toEqual([['a', 10]]);
    expect(s.now()).toBe(12);
    await s.runAll();
    expect(fired).toEqual([
      ['a', 10],
      ['b', 20],
    ]);
  });
});

// ---------------------------------------------------------------- SharedAccelerator

describe('SharedAccelerator (processor sharing on a virtual clock)', () => {
  test('a single request of T tokens finishes after exactly T x (step_ms + per_request_ms)', async () => {
    const s = new FakeScheduler();
    const acc = new SharedAccelerator({ step_ms: 1, per_request_ms: 1 }, s);
    const r = track(s, acc.generate(10));
    await s.advance(19.5);
    expect(r.at).toBeUndefined();
    await s.runAll();
    expect(r).toEqual({ at: 20 });
    expect(acc.running).toBe(0);
  });

  test('n requests started together with equal tokens all finish at T x (step_ms + per_request_ms x n)', async () => {
    const s = new FakeScheduler();
    const acc = new SharedAccelerator({ step_ms: 1, per_request_ms: 1 }, s);
    const rs = [1, 2, 3].map(() => track(s, acc.generate(10)));
    expect(acc.running).toBe(3);
    await s.runAll();
    expect(rs.map((r) => r.at)).toEqual([40, 40, 40]); // 10 x (1 + 1 x 3)
  });

  test('with fractional step costs the batch still finishes at T x (step_ms + per_request_ms x n)', async () => {
    const s = new FakeScheduler();
    const acc = new SharedAccelerator({ step_ms: 0.6, per_request_ms: 0.1 }, s);
    const rs = Array.from({ length: 4 }, () => track(s, acc.generate(16)));
    await s.runAll();
    for (const r of rs) expect(r.at).toBeCloseTo(16 * (0.6 + 0.1 * 4), 9); // 16 ms
  });

  test('stepMs(n) is step_ms + per_request_ms x n', () => {
    const acc = new SharedAccelerator({ step_ms: 0.5, per_request_ms: 0.25 }, new FakeScheduler());
    expect(acc.stepMs(1)).toBe(0.75);
    expect(acc.stepMs(8)).toBe(2.5);
  });

  test('a request arriving while another runs slows it through the shared step', async () => {
    // step 1, per 1, 10 tokens each. A alone from t=0 (2 ms/step): 2.5 tokens by t=5.
    // From t=5 both decode at 3 ms/step: A needs 7.5 more -> t = 5 + 22.5 = 27.5.
    // B has done 7.5 tokens by then, alone again at 2 ms/step: 2.5 more -> t = 27.5 + 5 = 32.5.
    const s = new FakeScheduler();
    const acc = new SharedAccelerator({ step_ms: 1, per_request_ms: 1 }, s);
    const a = track(s, acc.generate(10));
    await s.advance(5);
    const b = track(s, acc.generate(10));
    await s.runAll();
    expect(a).toEqual({ at: 27.5 });
    expect(b).toEqual({ at: 32.5 });
  });

  test('max_batch queues the excess and admits it when a running request finishes', async () => {
    // max_batch 2, step 1, per 1, 10 tokens: A and B decode together (3 ms/step) -> t=30;
    // C waits, then decodes alone (2 ms/step) -> t = 30 + 20 = 50.
    const s = new FakeScheduler();
    const acc = new SharedAccelerator({ step_ms: 1, per_request_ms: 1, max_batch: 2 }, s);
    const a = track(s, acc.generate(10));
    const b = track(s, acc.generate(10));
    const c = track(s, acc.generate(10));
    expect([acc.running, acc.queued]).toEqual([2, 1]);
    await s.advance(30);
    expect([a.at, b.at, c.at]).toEqual([30, 30, undefined]);
    expect([acc.running, acc.queued]).toEqual([1, 0]);
    await s.runAll();
    expect(c).toEqual({ at: 50 });
  });

  test('a queued request starts from zero tokens when admitted, not from the batch progress', async () => {
    // max_batch 1: A (10 tokens) t=0..20; B (4 tokens) admitted at t=20, 4 x 2 ms -> t=28.
    const s = new FakeScheduler();
    const acc = new SharedAccelerator({ step_ms: 1, per_request_ms: 1, max_batch: 1 }, s);
    const a = track(s, acc.generate(10));
    const b = track(s, acc.generate(4));
    await s.runAll();
    expect(a).toEqual({ at: 20 });
    expect(b).toEqual({ at: 28 });
  });

  test('aborting a running request rejects it with an AbortError and speeds up the others', async () => {
    // A and B (10 tokens) at 3 ms/step; B aborted at t=6 when both have 2 tokens.
    // A alone: 8 more tokens x 2 ms -> t = 6 + 16 = 22 (instead of 30 had B stayed).
    const s = new FakeScheduler();
    const acc = new SharedAccelerator({ step_ms: 1, per_request_ms: 1 }, s);
    const controller = new AbortController();
    const a = track(s, acc.generate(10));
    const b = track(s, acc.generate(10, controller.signal));
    await s.advance(6);
    controller.abort();
    await flush();
    expect(b.at).toBe(6);
    expect((b.error as Error).name).toBe('AbortError');
    expect(acc.running).toBe(1);
    await s.runAll();
    expect(a).toEqual({ at: 22 });
  });

  test('aborting a queued request removes it from the queue without touching the batch', async () => {
    const s = new FakeScheduler();
    const acc = new SharedAccelerator({ step_ms: 1, per_request_ms: 1, max_batch: 1 }, s);
    const controller = new AbortController();
    const a = track(s, acc.generate(10));
    const b = track(s, acc.generate(10, controller.signal));
    await s.advance(3);
    controller.abort();
    await flush();
    expect((b.error as Error).name).toBe('AbortError');
    expect([acc.running, acc.queued]).toEqual([1, 0]);
    await s.runAll();
    expect(a).toEqual({ at: 20 });
  });

  test('aborting a running request admits the next queued one at the abort time', async () => {
    // max_batch 1: A runs from t=0 and is aborted at t=4; B, queued, starts then: 10 x 2 ms -> t=24.
    const s = new FakeScheduler();
    const acc = new SharedAccelerator({ step_ms: 1, per_request_ms: 1, max_batch: 1 }, s);
    const controller = new AbortController();
    track(s, acc.generate(10, controller.signal));
    const b = track(s, acc.generate(10));
    await s.advance(4);
    controller.abort();
    await flush();
    expect([acc.running, acc.queued]).toEqual([1, 0]);
    await s.runAll();
    expect(b).toEqual({ at: 24 });
  });

  test('a request whose signal is already aborted is rejected at once and never joins the batch', async () => {
    const s = new FakeScheduler();
    const acc = new SharedAccelerator({ step_ms: 1, per_request_ms: 1 }, s);
    const r = track(s, acc.generate(10, AbortSignal.abort()));
    await flush();
    expect(r.at).toBe(0);
    expect((r.error as Error).name).toBe('AbortError');
    expect(acc.running).toBe(0);
    expect(s.pending).toBe(0);
  });

  test('aborting after completion changes nothing', async () => {
    const s = new FakeScheduler();
    const acc = new SharedAccelerator({ step_ms: 1, per_request_ms: 1 }, s);
    const controller = new AbortController();
    const a = track(s, acc.generate(10, controller.signal));
    await s.runAll();
    controller.abort();
    await flush();
    expect(a).toEqual({ at: 20 });
    expect(acc.running).toBe(0);
    expect(s.pending).toBe(0);
  });

  // A signal shared by many requests must not keep one listener (and its job) per finished request.
  test('a finished request leaves no abort listener on its signal', async () => {
    const s = new FakeScheduler();
    const acc = new SharedAccelerator({ step_ms: 1, per_request_ms: 1 }, s);
    const controller = new AbortController();
    for (let i = 0; i < 3; i++) void acc.generate(10, controller.signal);
    await s.runAll();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test.each([1, 2, 4, 8])('throughput with %i always in flight is n / (T x (step + per x n))', async (n) => {
    // Closed loop with staggered starts: each finished request is replaced at once, so n are always
    // decoding and requests complete at n / (T x stepMs(n)) per ms once every slot has cycled.
    const T = 8;
    const config = { step_ms: 1, per_request_ms: 0.5 };
    const s = new FakeScheduler();
    const acc = new SharedAccelerator(config, s);
    const done: number[] = [];
    const loop = async (startAt: number) => {
      await delay(s, startAt);
      for (;;) {
        await acc.generate(T);
        done.push(s.now());
      }
    };
    for (let i = 0; i < n; i++) void loop(i * 0.75);
    const warmup = 200;
    const window = 2000;
    await s.advance(warmup);
    const before = done.length;
    await s.advance(window);
    const completed = done.length - before;
    const expected = n / (T * (config.step_ms + config.per_request_ms * n));
    // Completions in a window are whole numbers: allow one in either direction per slot.
    expect(Math.abs(completed / window - expected)).toBeLessThanOrEqual(n / window);
  });

  test('throughput grows with batch size while per-request latency grows too', async () => {
    const measure = async (n: number) => {
      const s = new FakeScheduler();
      const acc = new SharedAccelerator({ step_ms: 1, per_request_ms: 0.5 }, s);
      const rs = Array.from({ length: n }, () => track(s, acc.generate(8)));
      await s.runAll();
      const latency = rs[0]!.at!;
      return { latency, throughput: n / latency };
    };
    const one = await measure(1);
    const four = await measure(4);
    expect(one).toEqual({ latency: 12, throughput: 1 / 12 }); // 8 x 1.5
    expect(four).toEqual({ latency: 24, throughput: 4 / 24 }); // 8 x 3
  });
});

// ---------------------------------------------------------------- delay

describe('delay', () => {
  test('resolves after exactly the given time on the scheduler', async () => {
    const s = new FakeScheduler();
    const r = track(s, delay(s, 7));
    await s.advance(6.9);
    expect(r.at).toBeUndefined();
    await s.advance(0.1);
    expect(r.at).toBeCloseTo(7, 12);
  });

  test('leaves no abort listener on its signal once resolved', async () => {
    const s = new FakeScheduler();
    const controller = new AbortController();
    const r = track(s, delay(s, 5, controller.signal));
    await s.runAll();
    expect(r.at).toBe(5);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('rejects with an AbortError and cancels its timer when the signal aborts', async () => {
    const s = new FakeScheduler();
    const controller = new AbortController();
    const r = track(s, delay(s, 100, controller.signal));
    await s.advance(10);
    controller.abort();
    await flush();
    expect(r.at).toBe(10);
    expect((r.error as Error).name).toBe('AbortError');
    expect(s.pending).toBe(0);
  });
});

// ---------------------------------------------------------------- sampleLatency

describe('sampleLatency', () => {
  const N = 20_000;
  const draws = (model: Parameters<typeof sampleLatency>[0], seed = 42, n = N) => {
    const random = mulberry32(seed);
    return Array.from({ length: n }, () => sampleLatency(model, random));
  };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  test('fixed always returns ms', () => {
    expect(new Set(draws({ model: 'fixed', ms: 12.5 }, 1, 100))).toEqual(new Set([12.5]));
  });

  test('uniform stays within [min_ms, max_ms]', () => {
    const xs = draws({ model: 'uniform', min_ms: 10, max_ms: 30 });
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...xs)).toBeLessThanOrEqual(30);
  });

  test('uniform mean is within 1% of the midpoint', () => {
    const m = mean(draws({ model: 'uniform', min_ms: 10, max_ms: 30 }));
    expect(Math.abs(m - 20) / 20).toBeLessThan(0.01);
  });

  test('exponential mean is within 2% of mean_ms', () => {
    const m = mean(draws({ model: 'exponential', mean_ms: 50 }));
    expect(Math.abs(m - 50) / 50).toBeLessThan(0.02);
  });

  test('exponential samples are never negative', () => {
    expect(Math.min(...draws({ model: 'exponential', mean_ms: 50 }))).toBeGreaterThanOrEqual(0);
  });

  test('normal is clamped at zero, never negative, even when most of the mass is below zero', () => {
    const xs = draws({ model: 'normal', mean_ms: 1, stddev_ms: 10 });
    expect(Math.min(...xs)).toBe(0);
    expect(xs.filter((x) => x === 0).length).toBeGreaterThan(N / 3); // P(z < -0.1) is about 46%
  });

  test('normal mean is within 2% of mean_ms when clamping does not bite', () => {
    const m = mean(draws({ model: 'normal', mean_ms: 100, stddev_ms: 10 }));
    expect(Math.abs(m - 100) / 100).toBeLessThan(0.02);
  });

  test('lognormal median is within 3% of median_ms', () => {
    const xs = draws({ model: 'lognormal', median_ms: 40, sigma: 0.5 }).sort((a, b) => a - b);
    const median = (xs[N / 2 - 1]! + xs[N / 2]!) / 2;
    expect(Math.abs(median - 40) / 40).toBeLessThan(0.03);
  });
});

// ---------------------------------------------------------------- rng

describe('mulberry32', () => {
  const take = (seed: number, n: number) => {
    const r = mulberry32(seed);
    return Array.from({ length: n }, () => r());
  };

  test('the same seed gives the same sequence', () => {
    expect(take(1234, 1000)).toEqual(take(1234, 1000));
  });

  test('different seeds give different sequences', () => {
    const a = take(1, 10);
    const b = take(2, 10);
    expect(a.filter((x, i) => x === b[i])).toEqual([]);
  });

  test('values lie in [0, 1)', () => {
    const xs = take(99, 100_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  test('values are spread over [0, 1): each tenth gets 10% +- 1% of 100,000 draws', () => {
    const bins = new Array<number>(10).fill(0);
    for (const x of take(7, 100_000)) bins[Math.floor(x * 10)]!++;
    for (const b of bins) expect(Math.abs(b - 10_000)).toBeLessThan(1_000);
  });

  test('matches the reference mulberry32 sequence, so seeded runs reproduce across versions', () => {
    // First draws of the canonical mulberry32 (bryc/code PRNGs.md) for seeds 42 and 0.
    expect(take(42, 3)).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    expect(take(0, 2)).toEqual([0.26642920868471265, 0.0003297457005828619]);
  });

  test('the seed is taken modulo 2^32', () => {
    expect(take(5 + 2 ** 32, 5)).toEqual(take(5, 5));
    expect(take(-1, 5)).toEqual(take(2 ** 32 - 1, 5));
  });
});

describe('hashString', () => {
  test('is 32-bit FNV-1a (standard test vectors)', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
    expect(hashString('foobar')).toBe(0xbf9cf968);
  });
});

describe('gaussian', () => {
  test('has mean 0 and standard deviation 1 within 2% over 20,000 draws', () => {
    const r = mulberry32(3);
    const xs = Array.from({ length: 20_000 }, () => gaussian(r));
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
    expect(Math.abs(m)).toBeLessThan(0.02);
    expect(Math.abs(sd - 1)).toBeLessThan(0.02);
  });
});

// ---------------------------------------------------------------- createMockServer

describe('createMockServer', () => {
  const server = (options: unknown, seed = 1) => {
    const s = new FakeScheduler();
    const srv = createMockServer(MockOptionsSchema.parse(options), seed, s);
    return { s, srv };
  };
  const signal = () => new AbortController().signal;

  test('MockOptionsSchema defaults: fixed 10 ms, 16 output tokens, no errors', () => {
    expect(MockOptionsSchema.parse({})).toEqual({
      latency: { model: 'fixed', ms: 10 },
      output_tokens: 16,
      error_rate: 0,
    });
  });

  test('three concurrent requests: counters are exact while in flight and after they finish', async () => {
    const { s, srv } = server({ latency: { model: 'fixed', ms: 5 } });
    const outcomes = [srv.handle(signal()), srv.handle(signal()), srv.handle(signal())];
    expect(srv.counters).toMatchObject({ requests_received: 3, in_flight: 3, max_in_flight: 3, requests_completed: 0 });
    await s.advance(4.9);
    expect(srv.counters.in_flight).toBe(3);
    await s.advance(0.1);
    await Promise.all(outcomes);
    expect(srv.counters).toEqual({
      requests_received: 3,
      requests_completed: 3,
      requests_cancelled: 0,
      errors_injected: 0,
      in_flight: 0,
      max_in_flight: 3,
      tokens_generated: 48,
    });
  });

  test('max_in_flight keeps the peak across overlapping and sequential requests', async () => {
    // fixed 10 ms: requests at t=0, 5 (overlap: 2 in flight), then t=20 and t=25 (again 2), never 3.
    const { s, srv } = server({ latency: { model: 'fixed', ms: 10 } });
    void srv.handle(signal());
    await s.advance(5);
    void srv.handle(signal());
    expect(srv.counters.in_flight).toBe(2);
    await s.advance(15);
    expect(srv.counters.in_flight).toBe(0);
    void srv.handle(signal());
    await s.advance(5);
    void srv.handle(signal());
    await s.runAll();
    expect(srv.counters).toMatchObject({ requests_received: 4, requests_completed: 4, in_flight: 0, max_in_flight: 2 });
  });

  test('a fixed-latency request completes after exactly ms on the scheduler', async () => {
    const { s, srv } = server({ latency: { model: 'fixed', ms: 5 } });
    const r = track(s, srv.handle(signal()));
    await s.runAll();
    expect(r.at).toBe(5);
  });

  test('error_rate 1: every outcome is an HTTP 500 and errors_injected counts each', async () => {
    const { s, srv } = server({ latency: { model: 'fixed', ms: 5 }, error_rate: 1 });
    const pending = Array.from({ length: 10 }, () => srv.handle(signal()));
    await s.runAll();
    const outcomes = await Promise.all(pending);
    for (const o of outcomes) expect(o).toMatchObject({ kind: 'http_error', status: 500 });
    expect(srv.counters).toMatchObject({ errors_injected: 10, requests_completed: 10, tokens_generated: 0 });
  });

  test('error_rate 0: every outcome is ok with outputTokens equal to output_tokens', async () => {
    const { s, srv } = server({ latency: { model: 'fixed', ms: 5 }, output_tokens: 7 });
    const pending = Array.from({ length: 10 }, () => srv.handle(signal()));
    await s.runAll();
    const outcomes = await Promise.all(pending);
    for (const o of outcomes) expect(o).toEqual({ kind: 'ok', status: 200, usage: { outputTokens: 7, source: 'server' } });
    expect(srv.counters).toMatchObject({ errors_injected: 0, tokens_generated: 70 });
  });

  test('error_rate 0.5 injects roughly half errors, and the same seed injects the same ones', async () => {
    const run = async (seed: number) => {
      const { s, srv } = server({ latency: { model: 'fixed', ms: 1 }, error_rate: 0.5 }, seed);
      const pending = Array.from({ length: 1000 }, () => srv.handle(signal()));
      await s.runAll();
      return { kinds: (await Promise.all(pending)).map((o) => o.kind), injected: srv.counters.errors_injected };
    };
    const a = await run(11);
    const b = await run(11);
    expect(b.kinds).toEqual(a.kinds);
    expect(a.kinds.filter((k) => k === 'http_error').length).toBe(a.injected);
    expect(Math.abs(a.injected - 500)).toBeLessThan(60); // binomial sd is about 16
  });

  test('different seeds inject errors into different requests', async () => {
    const kinds = async (seed: number) => {
      const { s, srv } = server({ latency: { model: 'fixed', ms: 1 }, error_rate: 0.5 }, seed);
      const pending = Array.from({ length: 200 }, () => srv.handle(signal()));
      await s.runAll();
      return (await Promise.all(pending)).map((o) => o.kind);
    };
    expect(await kinds(1)).not.toEqual(await kinds(2));
  });

  test('a request with an already aborted signal ends as aborted and is not left in flight', async () => {
    const { srv } = server({ latency: { model: 'fixed', ms: 5 } });
    const outcome = await srv.handle(AbortSignal.abort());
    expect(outcome.kind).toBe('aborted');
    expect(srv.counters).toMatchObject({
      requests_received: 1,
      requests_completed: 0,
      requests_cancelled: 1,
      in_flight: 0,
      tokens_generated: 0,
    });
  });

  test('a request aborted mid-flight ends as aborted at the abort time', async () => {
    const { s, srv } = server({ latency: { model: 'fixed', ms: 50 } });
    const controller = new AbortController();
    let outcome: Outcome | undefined;
    let at: number | undefined;
    void srv.handle(controller.signal).then((o) => {
      outcome = o;
      at = s.now();
    });
    await s.advance(20);
    controller.abort();
    await flush();
    expect(outcome?.kind).toBe('aborted');
    expect(at).toBe(20);
    expect(srv.counters).toMatchObject({ in_flight: 0, requests_completed: 0, requests_cancelled: 1 });
  });

  test('shared model: tokens vary by at most jitter either way and usage reports them', async () => {
    const { s, srv } = server({ latency: { model: 'shared', jitter: 0.25 }, output_tokens: 100 });
    const pending = Array.from({ length: 200 }, () => srv.handle(signal()));
    await s.runAll();
    const tokens = (await Promise.all(pending)).map((o) => (o.kind === 'ok' ? o.usage!.outputTokens! : NaN));
    expect(Math.min(...tokens)).toBeGreaterThanOrEqual(75);
    expect(Math.max(...tokens)).toBeLessThanOrEqual(125);
    expect(new Set(tokens).size).toBeGreaterThan(10);
    expect(srv.counters.tokens_generated).toBe(tokens.reduce((a, b) => a + b, 0));
  });

  test('shared model without jitter: n concurrent requests finish at T x (step + per x n)', async () => {
    const { s, srv } = server({ latency: { model: 'shared', step_ms: 1, per_request_ms: 1, jitter: 0 }, output_tokens: 10 });
    const rs = [1, 2, 3].map(() => track(s, srv.handle(signal())));
    await s.runAll();
    expect(rs.map((r) => r.at)).toEqual([40, 40, 40]);
  });
});

// ---------------------------------------------------------------- answer length

describe('answer length: max_tokens, min_tokens and ignore_eos as vLLM applies them', () => {
  // `llmbench mock-server --profile vllm` (MOCK_PROFILES in packages/cli/src/index.ts).
  const vllmProfile = { latency: { model: 'shared', step_ms: 0.12, per_request_ms: 0.03, jitter: 0.2 }, output_tokens: 16 };
  const signal = () => new AbortController().signal;
  const lengths = async (limits: Parameters<ReturnType<typeof createMockServer>['handle']>[2], requests = 5000) => {
    const s = new FakeScheduler();
    const srv = createMockServer(MockOptionsSchema.parse(vllmProfile), 1, s);
    const pending = Array.from({ length: requests }, () => srv.handle(signal(), undefined, limits));
    await s.runAll();
    const tokens = (await Promise.all(pending)).map((o) => (o.kind === 'ok' ? o.usage!.outputTokens! : Number.NaN));
    return { tokens, generated: srv.counters.tokens_generated };
  };

  test('vllm profile, ignore_eos: every one of 5,000 answers has exactly max_tokens tokens', async () => {
    const { tokens, generated } = await lengths({ maxTokens: 16, ignoreEos: true });
    expect(new Set(tokens)).toEqual(new Set([16]));
    expect(generated).toBe(5000 * 16);
  });

  test('vllm profile, max_tokens alone: no answer is longer, shorter natural answers stay as they are', async () => {
    const { tokens } = await lengths({ maxTokens: 16 });
    expect(Math.max(...tokens)).toBe(16);
    // jitter 0.2 around 16: natural lengths 13..19, so about half end early on their own.
    expect(Math.min(...tokens)).toBe(13);
    const short = tokens.filter((t) => t < 16).length;
    expect(short).toBeGreaterThan(1500);
    expect(short).toBeLessThan(3500);
  });

  test('vllm profile, min_tokens: no answer is shorter; max_tokens still caps', async () => {
    const floored = await lengths({ minTokens: 18 });
    expect(Math.min(...floored.tokens)).toBe(18);
    expect(Math.max(...floored.tokens)).toBe(19);
    const both = await lengths({ minTokens: 18, maxTokens: 18 });
    expect(new Set(both.tokens)).toEqual(new Set([18]));
  });

  test('the same seed draws the same jitter with and without limits (only the length changes)', async () => {
    const free = await lengths(undefined, 500);
    const capped = await lengths({ maxTokens: 15 }, 500);
    expect(capped.tokens).toEqual(free.tokens.map((t) => Math.min(t, 15)));
  });

  test('answerLength and finishReason: the rules in one table', () => {
    expect(answerLength(20, undefined)).toBe(20);
    expect(answerLength(20, { maxTokens: 16 })).toBe(16);
    expect(answerLength(10, { maxTokens: 16 })).toBe(10);
    expect(answerLength(10, { maxTokens: 16, ignoreEos: true })).toBe(16);
    expect(answerLength(20, { maxTokens: 16, ignoreEos: true })).toBe(16);
    expect(answerLength(10, { ignoreEos: true })).toBe(10);
    expect(answerLength(10, { minTokens: 12 })).toBe(12);
    expect(answerLength(10, { minTokens: 12, maxTokens: 11 })).toBe(11);
    expect(finishReason(16, { maxTokens: 16 })).toBe('length');
    expect(finishReason(10, { maxTokens: 16 })).toBe('stop');
    expect(finishReason(16, undefined)).toBe('stop');
  });

  test('tokens model: a capped answer takes ttft + (max_tokens - 1) x itl, and streams max_tokens tokens', async () => {
    const s = new FakeScheduler();
    const srv = createMockServer(
      MockOptionsSchema.parse({ latency: { model: 'tokens', ttft_ms: 40, itl_ms: 20 }, output_tokens: 16 }),
      1,
      s,
    );
    const seen: number[] = [];
    const json = track(s, srv.handle(signal(), undefined, { maxTokens: 4 }));
    await s.runAll();
    expect(json.at).toBe(40 + 3 * 20);
    const started = s.now();
    const streamed = track(
      s,
      srv.handle(signal(), (i) => seen.push(i), { maxTokens: 40, ignoreEos: true }),
    );
    await s.runAll();
    expect(streamed.at! - started).toBe(40 + 39 * 20);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(srv.counters.tokens_generated).toBe(4 + 40);
  });

  test('shared model: a request capped to fewer tokens does less work (n tokens of steps)', async () => {
    const s = new FakeScheduler();
    const srv = createMockServer(
      MockOptionsSchema.parse({ latency: { model: 'shared', step_ms: 1, per_request_ms: 1, jitter: 0 }, output_tokens: 10 }),
      1,
      s,
    );
    const r = track(s, srv.handle(signal(), undefined, { maxTokens: 3 }));
    await s.runAll();
    expect(r.at).toBe(3 * 2);
  });

  test("the in-process mock backend caps answers at the request's maxTokens", async () => {
    const { default: mock } = await import('./index.js');
    const backend = await mock.create(
      {
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        clock: { now: () => performance.now() },
        scenarioDir: '.',
        seed: 1,
        server: { id: 'a', maxConcurrentRequests: Infinity },
      },
      MockOptionsSchema.parse({ latency: { model: 'fixed', ms: 0 }, output_tokens: 16 }),
    );
    const request = { index: 0, messages: [{ role: 'user' as const, content: 'hi' }], stream: false, warmup: false };
    expect(await backend.send({ ...request, maxTokens: 5 }, signal())).toMatchObject({ kind: 'ok', usage: { outputTokens: 5 } });
    expect(await backend.send(request, signal())).toMatchObject({ kind: 'ok', usage: { outputTokens: 16 } });
  });
});
