// Over 400 lines on purpose: one thread's share of a point on virtual time (closed loop, barrier,
// paced, conversations, timeouts, stop), each case with its own scripted backend.
import { describe, expect, test } from 'vitest';
import { sendFrom, type Backend, type BenchRequest, type Outcome } from '@llmbench/plugin-api';
import { Balancer, DEFAULT_BALANCER, type BalancerOptions } from './balancer.js';
import { Control } from './control.js';
import { runPartition } from './partition.js';
import { runOnVirtualTime } from '../__fixtures__/partition.js';
import { VirtualTime } from '../__fixtures__/virtual-time.js';

type EngineServer = { backend: Backend; cap: number };

const request = (index: number): BenchRequest => ({
  index,
  messages: [{ role: 'user', content: 'hi' }],
  stream: false,
  warmup: false,
});
const never = new AbortController().signal;

/** A backend whose own counters are the server-side truth: in flight now, most ever, received. */
function countingBackend(
  time: VirtualTime,
  latency: (index: number) => number,
  log?: { index: number; start: number; end: number }[],
) {
  const stats = { inFlight: 0, maxInFlight: 0, received: 0 };
  const backend: Backend = {
    async send(req) {
      stats.received++;
      stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
      const start = time.now();
      await time.sleep(latency(req.index));
      stats.inFlight--;
      log?.push({ index: req.index, start, end: time.now() });
      return { kind: 'ok' };
    },
  };
  return { backend, stats };
}

const run = (
  time: VirtualTime,
  servers: EngineServer[],
  point: { concurrency: number; barrier?: boolean; requests: number; rate?: number },
  signal = never,
  balancer: Partial<BalancerOptions> = {},
) => runOnVirtualTime(time, { servers, point, request, signal, balancer });

/** `requests` requests, all in flight at once (or `lanes` at a time), on the real clock with a 20 ms whole-request deadline. */
async function runTimedOut(backend: Backend, requests: number, lanes = requests) {
  const control = Control.create({ batches: 0, parties: 1 });
  await control.arrive(() => performance.now());
  const result = await runPartition({
    point: { concurrency: lanes, barrier: false, requests },
    lanes: { start: 0, count: lanes },
    servers: [{ backend }],
    balancer: Balancer.create([Infinity], DEFAULT_BALANCER, control, {
      health: () => performance.now(),
      busy: () => performance.now(),
    }),
    request,
    clock: { now: () => performance.now() },
    control,
    timeoutMs: 20,
    cursor: 0,
    record: true,
  });
  control.stop();
  return result;
}

describe('backends that call back (sendFrom)', () => {
  test('answers given at once, inside the call, are each counted once, with no recursion however many', async () => {
    // 200,000 requests answered synchronously, inside the dispatch: a loop that recursed into the next request would
    // overflow the stack. Every answer is also given twice: the second must not count.
    let received = 0;
    const backend: Backend = {
      send: sendFrom((_request, _signal, done) => {
        received++;
        done({ kind: 'ok' });
        done({ kind: 'ok' });
      }),
    };
    const result = await runTimedOut(backend, 200_000, 4);
    expect(received).toBe(200_000);
    expect(result.tally.servers[0]!.requests).toBe(200_000);
    expect(result.tally.servers[0]!.successes).toBe(200_000);
  });

  test('an answer that comes after the deadline does not count the request again', async () => {
    // The deadline (20 ms) gives the outcome; the backend, ignoring its signal, calls back at 60 ms.
    const late: Promise<void>[] = [];
    const backend: Backend = {
      send: sendFrom((_request, _signal, done) => {
        late.push(new Promise((r) => setTimeout(() => r(done({ kind: 'ok' })), 60)));
      }),
    };
    const result = await runTimedOut(backend, 8);
    await Promise.all(late);
    const server = result.tally.servers[0]!;
    expect(server.requests).toBe(8);
    expect(server.successes).toBe(0);
    expect(server.failures.timeout).toBe(8);
  });

  test('a plugin wrapping such a backend with a send of its own is used through that send', async () => {
    const inner: Backend = { send: sendFrom((_request, _signal, done) => done({ kind: 'ok' })) };
    const wrapper: Backend = { ...inner, send: async () => ({ kind: 'http_error', status: 503 }) };
    const result = await runTimedOut(wrapper, 40, 4);
    expect(result.tally.servers[0]!.successes).toBe(0);
    expect(result.tally.servers[0]!.failures.http_error).toBe(40);
  });

  test('a dispatch that throws is a request that failed, not a crash', async () => {
    const backend: Backend = {
      send: sendFrom(() => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }),
    };
    const result = await runTimedOut(backend, 50, 4);
    expect(result.tally.servers[0]!.requests).toBe(50);
    expect(result.tally.servers[0]!.successes).toBe(0);
  });
});

describe('semaphore', () => {
  test('never has more than C requests in flight, and reaches C', async () => {
    const time = new VirtualTime();
    const { backend, stats } = countingBackend(time, (i) => 1 + ((i * 7919) % 13));
    const result = await run(time, [{ backend, cap: Infinity }], { concurrency: 7, requests: 500 });
    expect(stats.maxInFlight).toBe(7);
    expect(stats.received).toBe(500);
    expect(result.control.maxInFlight).toBe(7);
    expect(result.tally.servers[0]!.successes).toBe(500);
  });

  test('starts the next request the moment one ends (no idle slot)', async () => {
    const time = new VirtualTime();
    const { backend } = countingBackend(time, () => 10);
    const result = await run(time, [{ backend, cap: Infinity }], { concurrency: 4, requests: 40 });
    expect(result.wallMs).toBe(100); // 40 requests / 4 lanes x 10 ms
  });
});

describe('batch barrier', () => {
  test('no request of batch k+1 starts before every request of batch k has ended', async () => {
    const time = new VirtualTime();
    const log: { index: number; start: number; end: number }[] = [];
    const { backend, stats } = countingBackend(time, (i) => 1 + ((i * 31) % 17), log);
    const result = await run(time, [{ backend, cap: Infinity }], { concurrency: 5, barrier: true, requests: 23 });
    expect(stats.received).toBe(23);
    expect(stats.maxInFlight).toBe(5);
    const batches = Math.ceil(23 / 5);
    for (let k = 1; k < batches; k++) {
      const previousEnd = Math.max(...log.filter((r) => Math.floor(r.index / 5) === k - 1).map((r) => r.end));
      const firstStart = Math.min(...log.filter((r) => Math.floor(r.index / 5) === k).map((r) => r.start));
      expect(firstStart).toBeGreaterThanOrEqual(previousEnd);
    }
    expect(result.control.batchEnd(4)).toBe(Math.max(...log.map((r) => r.end)));
  });

  test('idle slot time is the sum of waits for the slowest request of each batch', async () => {
    const time = new VirtualTime();
    const latencies = [10, 30, 20, 20]; // batch 1: idle 20 (10 waits for 30); batch 2: idle 0
    const { backend } = countingBackend(time, (i) => latencies[i]!);
    const result = await run(time, [{ backend, cap: Infinity }], { concurrency: 2, barrier: true, requests: 4 });
    expect(result.wallMs).toBe(50);
    expect(result.idleSlotMs).toBe(20);
  });
});

describe('per-server caps', () => {
  test('no server ever has more than its max_concurrent_requests in flight; the rest queue', async () => {
    const time = new VirtualTime();
    const servers = [1, 2, 3].map((cap) => ({ cap, ...countingBackend(time, (i) => 5 + (i % 3)) }));
    const result = await run(
      time,
      servers.map((s) => ({ backend: s.backend, cap: s.cap })),
      { concurrency: 10, requests: 300 },
    );
    expect(servers.map((s) => s.stats.maxInFlight)).toEqual([1, 2, 3]);
    expect(servers.reduce((n, s) => n + s.stats.received, 0)).toBe(300);
    expect([0, 1, 2].map((i) => result.balancer.maxInFlight(i))).toEqual([1, 2, 3]);
    expect(result.tally.servers.some((s) => s.waited > 0 && s.queue.moments.max > 0)).toBe(true);
  });

  test('requests waiting for a slot are served first come first served, so queue time is shared fairly', async () => {
    const time = new VirtualTime();
    const log: { index: number; start: number; end: number }[] = [];
    const { backend } = countingBackend(time, () => 10, log);
    const result = await run(time, [{ backend, cap: 1 }], { concurrency: 3, requests: 30 });
    // Each request starts in the order it was claimed, however its lane got there.
    expect(log.map((r) => r.index)).toEqual([...Array(30).keys()]);
    const s = result.tally.servers[0]!;
    expect(s.waited).toBe(29);
    // In steady state every request waits for the two ahead of it: 20 ms.
    expect(s.queue.moments.max).toBeCloseTo(20, 6);
  });

  test('load goes to the least-loaded server when latencies are equal', async () => {
    const time = new VirtualTime();
    const servers = [0, 1, 2].map(() => countingBackend(time, () => 10));
    await run(
      time,
      servers.map((s) => ({ backend: s.backend, cap: 5 })),
      { concurrency: 15, requests: 150 },
    );
    expect(servers.map((s) => s.stats.received)).toEqual([50, 50, 50]);
  });
});

describe('load balancer', () => {
  const share = (servers: { stats: { received: number } }[]) => {
    const total = servers.reduce((n, s) => n + s.stats.received, 0);
    return servers.map((s) => s.stats.received / total);
  };

  test.each(['latency-aware', 'least-outstanding', 'round-robin'] as const)(
    '%s: a 2x slower server gets clearly less than a third when all are saturated',
    async (policy) => {
      const time = new VirtualTime();
      const servers = [10, 10, 20].map((ms) => countingBackend(time, () => ms));
      await run(
        time,
        servers.map((s) => ({ backend: s.backend, cap: 5 })),
        { concurrency: 20, requests: 600 },
        never,
        { policy },
      );
      const shares = share(servers);
      // Saturated, every policy can only fill the slot that frees: shares follow speed (2 : 2 : 1).
      expect(shares[2]).toBeCloseTo(0.2, 1);
      expect(servers.map((s) => s.stats.maxInFlight)).toEqual([5, 5, 5]);
    },
  );

  test('latency-aware sends less to a slower server than least-outstanding does when there is room', async () => {
    const slowShare = async (policy: BalancerOptions['policy']) => {
      const time = new VirtualTime();
      const servers = [10, 10, 20].map((ms) => countingBackend(time, () => ms));
      await run(
        time,
        servers.map((s) => ({ backend: s.backend, cap: 5 })),
        { concurrency: 6, requests: 600 },
        never,
        { policy },
      );
      return share(servers)[2]!;
    };
    const aware = await slowShare('latency-aware');
    const outstanding = await slowShare('least-outstanding');
    expect(outstanding).toBeGreaterThan(0.15);
    expect(aware).toBeLessThan(outstanding / 2);
  });

  test('equal servers share evenly at concurrency 1 under every policy', async () => {
    for (const policy of ['latency-aware', 'least-outstanding', 'round-robin'] as const) {
      const time = new VirtualTime();
      const servers = [0, 1, 2].map(() => countingBackend(time, () => 10));
      await run(
        time,
        servers.map((s) => ({ backend: s.backend, cap: 5 })),
        { concurrency: 1, requests: 300 },
        never,
        { policy },
      );
      expect(
        servers.map((s) => s.stats.received),
        policy,
      ).toEqual([100, 100, 100]);
    }
  });

  test('a failing server is taken out, probed back in after its back-off, and every request is accounted for', async () => {
    const time = new VirtualTime();
    const healthy = [0, 1].map(() => countingBackend(time, () => 10));
    const sick = { received: 0, failed: 0, receivedAfterRecovery: 0 };
    const broken: Backend = {
      async send() {
        sick.received++;
        if (time.now() < 1500) {
          sick.failed++;
          return { kind: 'connection_error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' };
        }
        sick.receivedAfterRecovery++;
        await time.sleep(10);
        return { kind: 'ok' };
      },
    };
    const result = await run(
      time,
      [...healthy.map((s) => ({ backend: s.backend, cap: 5 })), { backend: broken, cap: 5 }],
      { concurrency: 10, requests: 3000 },
      never,
      { backoffMs: 500, ejectAfter: 3 },
    );
    const t = result.tally.servers;
    // Out after 3 failures, probe at +500 ms fails (back-off doubles to 1000), probe at +1500 ms succeeds.
    expect(sick.failed).toBe(4);
    expect(t[2]!.failures.connection_error).toBe(4);
    expect(result.balancer.ejections(2)).toBe(1);
    expect(sick.receivedAfterRecovery).toBeGreaterThan(100);
    expect(t.reduce((n, s) => n + s.requests, 0)).toBe(3000);
    expect(t.reduce((n, s) => n + s.successes, 0)).toBe(3000 - 4);
  });

  test('a probe that fails without blaming the server (a 404) leaves it out, to be probed again', async () => {
    const time = new VirtualTime();
    const healthy = countingBackend(time, () => 10);
    let recovered = 0;
    const flaky: Backend = {
      async send() {
        const t = time.now();
        if (t < 400) return { kind: 'http_error', status: 503, message: 'down' };
        if (t < 1200) return { kind: 'http_error', status: 404, message: 'model not loaded yet' };
        recovered++;
        await time.sleep(10);
        return { kind: 'ok' };
      },
    };
    const result = await run(
      time,
      [
        { backend: healthy.backend, cap: 5 },
        { backend: flaky, cap: 5 },
      ],
      { concurrency: 5, requests: 1000 },
      never,
      { backoffMs: 500 },
    );
    // Out at t=0; probe at 500 gets a 404 (out again for 500 ms, not doubled); probe at 1000: 404; at 1500: ok.
    const samples = result.tally.failureSamples();
    expect(samples.find((x) => x.message.startsWith('HTTP 404'))!.count).toBe(2);
    expect(samples.find((x) => x.message.startsWith('HTTP 503'))!.count).toBeGreaterThanOrEqual(3);
    expect(recovered).toBeGreaterThan(100);
    expect(result.balancer.ejections(1)).toBe(1);
  });

  test('latency-aware: a server that stops answering looks slower the longer it is silent, not faster', async () => {
    const time = new VirtualTime();
    const healthy = countingBackend(time, () => 1000);
    const sentToStalled: number[] = [];
    const stalling: Backend = {
      async send() {
        sentToStalled.push(time.now());
        await time.sleep(time.now() < 20_000 ? 1000 : 100_000);
        return { kind: 'ok' };
      },
    };
    await run(
      time,
      [
        { backend: healthy.backend, cap: Infinity },
        { backend: stalling, cap: Infinity },
      ],
      { concurrency: 32, requests: 2000 },
    );
    // Once it stalls (t = 20 s), at most the requests already in its share go to it: it does not
    // soak up the lanes as its old estimate decays.
    const afterStall = sentToStalled.filter((t) => t >= 20_000).length;
    expect(afterStall).toBeLessThanOrEqual(32);
    expect(sentToStalled.filter((t) => t >= 25_000)).toEqual([]);
  });

  test('when every server fails, requests still go out (panic routing) and the run does not wait on back-offs', async () => {
    const time = new VirtualTime();
    const failing: Backend = {
      async send() {
        await time.sleep(1);
        return { kind: 'http_error', status: 503, message: 'unavailable' };
      },
    };
    const result = await run(
      time,
      [
        { backend: failing, cap: 2 },
        { backend: failing, cap: 2 },
      ],
      { concurrency: 4, requests: 400 },
      never,
      { backoffMs: 10_000 },
    );
    expect(result.tally.servers.reduce((n, s) => n + s.failures.http_error, 0)).toBe(400);
    expect(result.wallMs).toBe(100); // 400 requests, 4 at a time, 1 ms each
  });

  test('busy fraction counts time with at least one request in flight', async () => {
    const time = new VirtualTime();
    const { backend } = countingBackend(time, () => 10);
    const result = await run(time, [{ backend, cap: 1 }], { concurrency: 1, requests: 10, rate: 50 });
    // Starts every 20 ms, 10 ms each: busy 10 x 10 ms over 190 ms.
    expect(result.balancer.busyMs(0, result.wallMs)).toBeCloseTo(100, 6);
    expect(result.wallMs).toBe(190);
  });
});

describe('control block', () => {
  test('stopping twice does not wrap the batch generation: waiters are released, nothing hangs', async () => {
    const control = Control.create({ batches: 4, parties: 1 });
    control.stop();
    control.stop();
    await expect(
      Promise.race([control.waitForBatch(1).then(() => 'released'), new Promise((r) => setTimeout(() => r('hung'), 200))]),
    ).resolves.toBe('released');
  });
});

describe('paced (open loop)', () => {
  test('requests start at their intended times and latency counts from the intended time', async () => {
    const time = new VirtualTime();
    const log: { index: number; start: number; end: number }[] = [];
    // 100 req/s = one every 10 ms; each takes 25 ms, so up to 3 overlap.
    const { backend, stats } = countingBackend(time, () => 25, log);
    const result = await run(time, [{ backend, cap: Infinity }], { concurrency: 100, requests: 10, rate: 100 });
    expect(log.map((r) => r.start)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(stats.maxInFlight).toBe(3);
    expect(result.tally.servers[0]!.moments.max).toBe(25);
  });

  test('when the in-flight limit holds requests back, their latency includes the wait (no coordinated omission)', async () => {
    const time = new VirtualTime();
    const { backend } = countingBackend(time, () => 25);
    // One allowed in flight, one intended every 10 ms: request i starts at 25*i but was due at 10*i.
    const result = await run(time, [{ backend, cap: Infinity }], { concurrency: 1, requests: 4, rate: 100 });
    const m = result.tally.servers[0]!.moments;
    expect([m.min, m.max]).toEqual([25, 25 + 3 * 15]);
  });
});

describe('outcomes', () => {
  test('latency is measured exactly from send to response on the injected clock', async () => {
    const time = new VirtualTime();
    const { backend } = countingBackend(time, (i) => (i % 2 === 0 ? 4 : 8));
    const result = await run(time, [{ backend, cap: Infinity }], { concurrency: 2, requests: 10 });
    const s = result.tally.servers[0]!;
    expect([s.moments.min, s.moments.max, s.moments.sum / s.moments.count]).toEqual([4, 8, 6]);
  });

  test("a backend's own send and end times are used when they lie within the call, and ignored otherwise", async () => {
    const time = new VirtualTime();
    // Each call: 1 ms of client bookkeeping, 10 ms on the wire (first token after 4), 2 ms after.
    const backend = (stamps: (sent: number, ended: number) => { sentAt?: number; endedAt?: number }): Backend => ({
      async send() {
        await time.sleep(1);
        const sent = time.now();
        await time.sleep(10);
        const ended = time.now();
        await time.sleep(2);
        return {
          kind: 'ok',
          firstTokenAt: sent + 4,
          chunkTimes: [sent + 4, sent + 9],
          usage: { outputTokens: 2, source: 'server' },
          ...stamps(sent, ended),
        };
      },
    });
    const summary = async (b: Backend) => {
      const { tally } = await run(time, [{ backend: b, cap: Infinity }], { concurrency: 1, requests: 3 });
      return { latency: tally.servers[0]!.moments.max, ttft: tally.ttft.moments.max, tpot: tally.tpot.moments.max };
    };
    expect(await summary(backend((sentAt, endedAt) => ({ sentAt, endedAt })))).toEqual({ latency: 10, ttft: 4, tpot: 6 });
    // Without stamps, from just before send() to its settling: our 3 ms are in.
    expect(await summary(backend(() => ({})))).toEqual({ latency: 13, ttft: 5, tpot: 8 });
    // A send after the first token is not believed either (the end still is).
    expect(await summary(backend((sentAt, endedAt) => ({ sentAt: sentAt + 5, endedAt })))).toEqual({
      latency: 11,
      ttft: 5,
      tpot: 6,
    });
    // Stamps on another clock (epoch ms) fall outside the call: not believed.
    expect(await summary(backend((sentAt, endedAt) => ({ sentAt: sentAt + 1.7e12, endedAt: endedAt + 1.7e12 })))).toEqual({
      latency: 13,
      ttft: 5,
      tpot: 8,
    });
  });

  test('a backend that throws is counted by kind, never crashes the run', async () => {
    const time = new VirtualTime();
    let n = 0;
    const backend: Backend = {
      async send(): Promise<Outcome> {
        n++;
        if (n % 3 === 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        if (n % 3 === 1) throw new Error('unexpected token in JSON');
        return { kind: 'http_error', status: 429 };
      },
    };
    const result = await run(time, [{ backend, cap: Infinity }], { concurrency: 3, requests: 30 });
    const s = result.tally.servers[0]!;
    expect(s.requests).toBe(30);
    expect(s.failures).toEqual({ http_error: 10, timeout: 0, connection_error: 10, protocol_error: 10, aborted: 0 });
    expect(result.tally.failureSamples()).toEqual([
      { kind: 'http_error', message: 'HTTP 429', count: 10 },
      { kind: 'connection_error', message: 'ECONNREFUSED: connect ECONNREFUSED', count: 10 },
      { kind: 'protocol_error', message: 'unexpected token in JSON', count: 10 },
    ]);
  });

  test('a request with no answer ends as a total timeout even if the backend ignores its signal', async () => {
    const backend: Backend = { send: () => new Promise<Outcome>(() => undefined) };
    const result = await runTimedOut(backend, 2);
    expect(result.tally.servers[0]!.failures.timeout).toBe(2);
  });

  test('a request resent by its backend and then timed out is a timeout that still counts its reconnect', async () => {
    // The backend sent the request twice (a reused socket died first) and, aborted at the deadline,
    // says so in its outcome: the server saw two requests, so the reconnect must not be lost.
    const backend: Backend = {
      send: (_request, signal) =>
        new Promise<Outcome>((resolve) => {
          signal.addEventListener('abort', () => resolve({ kind: 'aborted', message: 'timed out', resent: true }), {
            once: true,
          });
        }),
    };
    const result = await runTimedOut(backend, 3);
    const server = result.tally.servers[0]!;
    expect([server.failures.timeout, server.failures.aborted, server.reconnects]).toEqual([3, 0, 3]);
  });

  test('stopping the run ends in-flight requests as aborted and sends nothing more; every request is accounted for', async () => {
    const time = new VirtualTime();
    const controller = new AbortController();
    let received = 0;
    const backend: Backend = {
      async send(req, signal) {
        received++;
        if (req.index === 20) controller.abort();
        await time.sleep(5);
        return signal.aborted ? { kind: 'aborted' } : { kind: 'ok' };
      },
    };
    const result = await run(time, [{ backend, cap: Infinity }], { concurrency: 4, requests: 1000 }, controller.signal);
    const s = result.tally.servers[0]!;
    expect(received).toBeLessThan(30);
    expect(s.requests).toBe(received);
    expect(s.failures.aborted).toBe(4);
    expect(s.successes + s.failures.aborted).toBe(received);
  });
});
