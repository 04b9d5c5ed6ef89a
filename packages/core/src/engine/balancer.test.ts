// Over 400 lines on purpose: the Balancer's tests (policies, caps, shared-memory counters across
// threads), one unit's behaviour in one file.
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { mulberry32, type Outcome } from '@llmbench/plugin-api';
import { Balancer, blamesServer, DEFAULT_BALANCER, PROBE, type BalancerOptions } from './balancer.js';
import { Control } from './control.js';
import { VirtualTime } from '../__fixtures__/virtual-time.js';

const OK: Outcome = { kind: 'ok' };
const UNAVAILABLE: Outcome = { kind: 'http_error', status: 503, message: 'unavailable' };
const NOT_FOUND: Outcome = { kind: 'http_error', status: 404, message: 'no such model' };
const ABORTED: Outcome = { kind: 'aborted' };

/** A balancer as the engine makes one, both of its clocks on virtual time, t0 at `t0`. */
async function setup(caps: readonly number[], options: Partial<BalancerOptions> = {}, t0 = 0) {
  const time = new VirtualTime();
  if (t0 > 0) await advance(time, t0);
  const control = Control.create({ batches: 0, parties: 1 });
  await control.arrive(() => time.now());
  const balancer = Balancer.create(caps, { ...DEFAULT_BALANCER, ...options }, control, {
    health: () => time.now(),
    busy: () => time.now(),
  });
  return { time, control, balancer };
}

/** Moves virtual time forward by `ms`. */
function advance(time: VirtualTime, ms: number): Promise<void> {
  return time.run(time.sleep(ms));
}

/** What `tryAcquire` handed out: the server, and whether it is that server's probe. */
function decode(picked: number): { server: number; probe: boolean } {
  return picked >= PROBE ? { server: picked - PROBE, probe: true } : { server: picked, probe: false };
}

/** `count` picks, each released at once with `outcome` (latency `latencyMs`); the servers picked. */
function pickAndRelease(
  balancer: Balancer,
  count: number,
  cursor: (i: number) => number,
  outcome: Outcome = OK,
  latencyMs = 10,
): number[] {
  const picks: number[] = [];
  for (let i = 0; i < count; i++) {
    const { server, probe } = decode(balancer.tryAcquire(cursor(i)));
    picks.push(server);
    balancer.release(server, outcome, latencyMs, probe);
  }
  return picks;
}

/** The server a request would go to now from `cursor` (taken and handed back at once, teaching nothing). */
function peek(balancer: Balancer, cursor: number): number {
  const { server, probe } = decode(balancer.tryAcquire(cursor));
  if (server >= 0) balancer.release(server, ABORTED, 0, probe);
  return server;
}

/** Sends one request to `server` (which must be what the balancer picks) and ends it with `outcome`. */
function sendTo(balancer: Balancer, server: number, outcome: Outcome, latencyMs = 10): void {
  const picked = decode(balancer.tryAcquire(server));
  expect(picked.server).toBe(server);
  balancer.release(picked.server, outcome, latencyMs, picked.probe);
}

/** Takes server `s` out: `ejectAfter` blamable failures in a row on it (picked with cursor `s`). */
function eject(balancer: Balancer, s: number): void {
  for (let i = 0; i < balancer.options.ejectAfter; i++) sendTo(balancer, s, UNAVAILABLE);
}

/** Whether `p` settles within a few turns of the event loop (no real time is waited for). */
async function settles(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(() => (settled = true));
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  return settled;
}

describe('round-robin', () => {
  test('takes the servers in turn, whatever cursor the caller passes', async () => {
    const { balancer } = await setup([Infinity, Infinity, Infinity], { policy: 'round-robin' });
    expect(pickAndRelease(balancer, 7, (i) => (i * 5) % 3)).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  test('a full server loses its turn to the next one in line with room', async () => {
    const { balancer } = await setup([1, 5, 5], { policy: 'round-robin' });
    expect(balancer.tryAcquire(0)).toBe(0); // held: server 0 is full from now on
    // Turns 1, 2, 3(=0, full: goes to 1), 4, 5, 6(=0: goes to 1)...
    expect(pickAndRelease(balancer, 6, () => 0)).toEqual([1, 2, 1, 1, 2, 1]);
  });
});

describe('least-outstanding', () => {
  test('each pick goes to the server with the fewest requests in flight', async () => {
    const { balancer } = await setup([Infinity, Infinity, Infinity], { policy: 'least-outstanding' });
    for (let i = 0; i < 4; i++) balancer.tryAcquire(0); // round 0, 1, 2, 0: outstanding [2, 1, 1]
    expect([0, 1, 2].map((s) => balancer.outstanding(s))).toEqual([2, 1, 1]);
    expect([balancer.tryAcquire(0), balancer.tryAcquire(0)]).toEqual([1, 2]);
  });

  test('ties go to the first server from the cursor on, so rotating cursors share idle servers evenly', async () => {
    const { balancer } = await setup([Infinity, Infinity, Infinity], { policy: 'least-outstanding' });
    expect(pickAndRelease(balancer, 6, (i) => i + 1)).toEqual([1, 2, 0, 1, 2, 0]);
  });

  test('ignores latency: a server 10x slower gets the same share when idle', async () => {
    const { balancer } = await setup([Infinity, Infinity], { policy: 'least-outstanding' });
    sendTo(balancer, 0, OK, 10);
    sendTo(balancer, 1, OK, 100);
    expect(pickAndRelease(balancer, 4, (i) => i)).toEqual([0, 1, 0, 1]);
  });
});

describe('latency-aware', () => {
  test('picks the lowest (outstanding + 1) x EWMA latency', async () => {
    const { balancer } = await setup([Infinity, Infinity], { policy: 'latency-aware' });
    sendTo(balancer, 0, OK, 10);
    sendTo(balancer, 1, OK, 30);
    // Held picks: server 0 scores 10, 20, 30 (a tie with server 1's 30: the cursor's), then 40 > 30.
    expect([0, 0, 0, 0].map((c) => balancer.tryAcquire(c))).toEqual([0, 0, 0, 1]);
    expect([balancer.outstanding(0), balancer.outstanding(1)]).toEqual([3, 1]);
  });

  test('scores within 10% of the best are ties, broken by the cursor', async () => {
    const twoServers = async (slower: number) => {
      const { balancer } = await setup([Infinity, Infinity], { policy: 'latency-aware' });
      sendTo(balancer, 0, OK, 100);
      sendTo(balancer, 1, OK, slower);
      return [0, 1].map((c) => peek(balancer, c));
    };
    expect(await twoServers(109)).toEqual([0, 1]);
    expect(await twoServers(111)).toEqual([0, 0]);
  });

  test('the EWMA weighs the newest sample by ewma_alpha', async () => {
    // Server 0 answers in 100 then 200 ms; server 1 once in 130 ms.
    const pick = async (ewmaAlpha: number) => {
      const { balancer } = await setup([Infinity, Infinity], { policy: 'latency-aware', ewmaAlpha });
      sendTo(balancer, 0, OK, 100);
      sendTo(balancer, 0, OK, 200);
      sendTo(balancer, 1, OK, 130);
      return [0, 1].map((c) => peek(balancer, c));
    };
    expect(await pick(0.5)).toEqual([1, 1]); // EWMA 150 vs 130: server 1 is clearly better
    expect(await pick(0.1)).toEqual([0, 0]); // EWMA 110 vs 130: server 0 is
  });

  test('an idle server once slow is tried again as its EWMA decays with the age of its last sample', async () => {
    const { time, balancer } = await setup([Infinity, Infinity], { policy: 'latency-aware', ewmaDecayMs: 2000 });
    sendTo(balancer, 0, OK, 1000); // at t = 0
    await advance(time, 2000);
    sendTo(balancer, 1, OK, 100);
    // At t = 2000 server 0 scores 1000 e^-1 = 368 against 100.
    expect([0, 1].map((c) => peek(balancer, c))).toEqual([1, 1]);
    await advance(time, 4000);
    sendTo(balancer, 1, OK, 100);
    // At t = 6000 it scores 1000 e^-3 = 50 against server 1's fresh 100: its turn again.
    expect([0, 1].map((c) => peek(balancer, c))).toEqual([0, 0]);
  });

  test('a busy server that stops answering looks slower the longer it is silent, not faster', async () => {
    const { time, balancer } = await setup([Infinity, Infinity], { policy: 'latency-aware' });
    sendTo(balancer, 0, OK, 10);
    sendTo(balancer, 1, OK, 50);
    expect(balancer.tryAcquire(0)).toBe(0); // held: server 0 now has a request out
    await advance(time, 1);
    expect(balancer.tryAcquire(0)).toBe(0); // 2 x 10 = 20 beats server 1's 50
    balancer.release(0, ABORTED, 0);
    // 100 ms of silence: server 0's estimate is at least 100 ms (score 200), server 1's 50 e^-0.05.
    await advance(time, 99);
    expect([0, 1].map((c) => peek(balancer, c))).toEqual([1, 1]);
  });

  test('a server with no sample yet is scored as the fastest known one, so it gets tried', async () => {
    const { balancer } = await setup([Infinity, Infinity], { policy: 'latency-aware' });
    expect(balancer.tryAcquire(1)).toBe(1); // held on server 1, which has no sample
    sendTo(balancer, 0, OK, 10);
    // Server 1 scores (1 + 1) x 10 = 20 against server 0's 10.
    expect(balancer.tryAcquire(1)).toBe(0);
    balancer.release(0, ABORTED, 0);
    balancer.release(1, ABORTED, 0); // an abort teaches no latency: server 1 still has no sample
    // Idle, server 1 scores 10: a tie with server 0, so the cursor decides.
    expect([0, 1].map((c) => peek(balancer, c))).toEqual([0, 1]);
  });
});

describe('caps', () => {
  test('no cap is ever exceeded over a long random interleaving of picks and releases, and each is reached', async () => {
    const caps = [1, 2, 3];
    for (const policy of ['latency-aware', 'least-outstanding', 'round-robin'] as const) {
      const { time, balancer } = await setup(caps, { policy });
      const random = mulberry32(42);
      const held: number[] = [];
      let refused = 0;
      for (let step = 0; step < 20_000; step++) {
        if (held.length > 0 && random() < 0.45) {
          const s = held.splice(Math.floor(random() * held.length), 1)[0]!;
          balancer.release(s, OK, 1 + Math.floor(random() * 50));
        } else {
          const picked = balancer.tryAcquire(Math.floor(random() * 3));
          if (picked < 0) {
            refused++;
            // Refused only when every server is full.
            expect(
              caps.map((c, s) => balancer.outstanding(s) === c),
              policy,
            ).toEqual([true, true, true]);
          } else held.push(decode(picked).server);
        }
        if (step % 1000 === 0) await advance(time, 7);
      }
      expect(
        caps.map((_, s) => balancer.outstanding(s)),
        policy,
      ).toEqual(caps.map((_, s) => held.filter((h) => h === s).length));
      expect(
        caps.map((_, s) => balancer.maxInFlight(s)),
        policy,
      ).toEqual(caps);
      expect(refused, policy).toBeGreaterThan(0);
    }
  });

  test('no cap is exceeded when four threads pick and release on the same shared memory at once', async () => {
    const caps = [1, 2, 3];
    const { balancer, control } = await setup(caps, { policy: 'least-outstanding' });
    // The workers run the built balancer (worker threads cannot load TypeScript), as the engine's do.
    const source = `
      const { workerData, parentPort } = await import('node:worker_threads');
      const { Balancer } = await import(${JSON.stringify(new URL('../../dist/engine/balancer.js', import.meta.url).href)});
      const { Control } = await import(${JSON.stringify(new URL('../../dist/engine/control.js', import.meta.url).href)});
      const { balancerBuffer, controlBuffer, caps, options, id } = workerData;
      const control = new Control(controlBuffer, { batches: 0, parties: 1 });
      const balancer = new Balancer(balancerBuffer, caps, options, control, { health: () => 0, busy: () => 0 });
      let taken = 0, overCap = 0;
      for (let i = 0; i < 50000; i++) {
        const s = balancer.tryAcquire(id + i);
        if (s < 0) continue;
        taken++;
        if (balancer.outstanding(s) > caps[s]) overCap++;
        balancer.release(s, { kind: 'ok' }, 1);
      }
      parentPort.postMessage({ taken, overCap });
    `;
    const runs = await Promise.all(
      [0, 1, 2, 3].map(
        (id) =>
          new Promise<{ taken: number; overCap: number }>((resolve, reject) => {
            const worker = new Worker(source, {
              eval: true,
              workerData: { balancerBuffer: balancer.buffer, controlBuffer: control.buffer, caps, options: balancer.options, id },
            });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    expect(runs.map((r) => r.overCap)).toEqual([0, 0, 0, 0]);
    expect(caps.map((c, s) => balancer.maxInFlight(s) <= c)).toEqual([true, true, true]);
    expect(caps.map((_, s) => balancer.outstanding(s))).toEqual([0, 0, 0]);
    // Every slot taken was given back: the release counter saw one per taken slot.
    expect(control.releases).toBe(runs.reduce((n, r) => n + r.taken, 0));
  });
});

describe('queueing', () => {
  test('when every server is full, waiters get slots first come first served', async () => {
    const { balancer } = await setup([1, 1], { policy: 'least-outstanding' });
    expect([balancer.tryAcquire(0), balancer.tryAcquire(0)]).toEqual([0, 1]);
    const order: string[] = [];
    const waiter = (name: string) =>
      balancer.acquire(0).then((s) => {
        order.push(`${name}@${s}`);
        return s;
      });
    const waiters = [waiter('a'), waiter('b'), waiter('c')];
    expect(await settles(waiters[0]!)).toBe(false);
    balancer.release(1, OK, 10);
    await waiters[0];
    balancer.release(0, OK, 10);
    await waiters[1];
    balancer.release(1, OK, 10);
    await waiters[2];
    expect(order).toEqual(['a@1', 'b@0', 'c@1']);
  });

  test('a free slot is not taken past a request already waiting for one', async () => {
    const { balancer } = await setup([1]);
    balancer.tryAcquire(0);
    const waiting = balancer.acquire(0);
    await settles(waiting);
    balancer.release(0, OK, 10); // frees the slot; the waiter has not run yet
    expect(balancer.tryAcquireUnqueued(0)).toBe(-1);
    expect(await waiting).toBe(0);
    balancer.release(0, OK, 10);
    expect(balancer.tryAcquireUnqueued(0)).toBe(0); // nobody queued now
  });

  test('stopping the run releases every waiter with -1', async () => {
    const { balancer, control } = await setup([1]);
    balancer.tryAcquire(0);
    const waiting = [balancer.acquire(0), balancer.acquire(0)];
    expect(await settles(Promise.race(waiting))).toBe(false);
    control.stop();
    expect(await Promise.all(waiting)).toEqual([-1, -1]);
    expect(balancer.outstanding(0)).toBe(1);
  });

  test('a waiter wakes for a probe that comes due, with no release', async () => {
    const { time, balancer } = await setup([1, 1], { policy: 'least-outstanding', backoffMs: 2 });
    eject(balancer, 1);
    expect(balancer.tryAcquire(0)).toBe(0); // server 0 full, server 1 out until t = 2
    const waiting = balancer.acquire(0);
    expect(await settles(waiting)).toBe(false);
    await advance(time, 2);
    expect(decode(await waiting)).toEqual({ server: 1, probe: true });
  });
});

describe('health', () => {
  test('eject_after consecutive blamable failures take a server out; picks avoid it', async () => {
    const { balancer } = await setup([Infinity, Infinity], { ejectAfter: 3 });
    sendTo(balancer, 1, UNAVAILABLE);
    sendTo(balancer, 1, UNAVAILABLE);
    expect(balancer.ejections(1)).toBe(0);
    sendTo(balancer, 1, UNAVAILABLE);
    expect(balancer.ejections(1)).toBe(1);
    expect(pickAndRelease(balancer, 6, (i) => i)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test('a success resets the count, and failures the server is not to blame for do not count', async () => {
    const { balancer } = await setup([Infinity, Infinity], { ejectAfter: 3 });
    for (const o of [UNAVAILABLE, UNAVAILABLE, OK, UNAVAILABLE, UNAVAILABLE, NOT_FOUND, ABORTED, NOT_FOUND])
      sendTo(balancer, 1, o);
    expect(balancer.ejections(1)).toBe(0);
    expect(pickAndRelease(balancer, 2, (i) => i)).toEqual([0, 1]);
  });

  test('eject_after 0 never takes a server out', async () => {
    const { balancer } = await setup([Infinity, Infinity], { ejectAfter: 0 });
    for (let i = 0; i < 20; i++) sendTo(balancer, 1, UNAVAILABLE);
    expect(balancer.ejections(1)).toBe(0);
    expect(pickAndRelease(balancer, 2, (i) => i)).toEqual([0, 1]);
  });

  test('after the back-off exactly one probe goes to the server, ahead of every policy choice', async () => {
    const { time, balancer } = await setup([Infinity, Infinity], { backoffMs: 500 });
    eject(balancer, 1);
    await advance(time, 499);
    expect(pickAndRelease(balancer, 3, (i) => i)).toEqual([0, 0, 0]);
    await advance(time, 1);
    expect(decode(balancer.tryAcquire(0))).toEqual({ server: 1, probe: true });
    // While the probe is out, nothing else goes to the server.
    expect([0, 1, 0, 1].map((c) => balancer.tryAcquire(c))).toEqual([0, 0, 0, 0]);
    expect(balancer.outstanding(1)).toBe(1);
  });

  test('a failed probe doubles the back-off, up to max_backoff_ms', async () => {
    const { time, balancer } = await setup([Infinity, Infinity], { backoffMs: 100, maxBackoffMs: 350 });
    eject(balancer, 1);
    const probes: number[] = [];
    // Each step: 1 ms; a probe is answered with a 503 the moment it is sent.
    for (let t = 0; t < 2000; t++) {
      const { server, probe } = decode(balancer.tryAcquire(0));
      balancer.release(server, probe ? UNAVAILABLE : OK, 1, probe);
      if (probe) probes.push(time.now());
      await advance(time, 1);
    }
    // Out at 0 for 100 ms, then 200, 350 (capped), 350...
    expect(probes).toEqual([100, 300, 650, 1000, 1350, 1700]);
    expect(balancer.ejections(1)).toBe(1);
  });

  test('a probe that fails without blaming the server keeps the back-off as it was', async () => {
    const { time, balancer } = await setup([Infinity, Infinity], { backoffMs: 100 });
    eject(balancer, 1);
    const probes: number[] = [];
    for (let t = 0; t < 500; t++) {
      const { server, probe } = decode(balancer.tryAcquire(0));
      balancer.release(server, probe ? NOT_FOUND : OK, 1, probe);
      if (probe) probes.push(time.now());
      await advance(time, 1);
    }
    expect(probes).toEqual([100, 200, 300, 400]);
  });

  test('a successful probe brings the server back, and its back-off starts again from backoff_ms', async () => {
    const { time, balancer } = await setup([Infinity, Infinity], { policy: 'least-outstanding', backoffMs: 100 });
    eject(balancer, 1);
    await advance(time, 100);
    sendTo(balancer, 1, UNAVAILABLE); // probe fails: out for 200
    await advance(time, 200);
    sendTo(balancer, 1, OK); // probe succeeds
    expect(pickAndRelease(balancer, 4, (i) => i)).toEqual([0, 1, 0, 1]);
    eject(balancer, 1);
    expect(balancer.ejections(1)).toBe(2);
    await advance(time, 100); // the first back-off again, not 400
    expect(decode(balancer.tryAcquire(0))).toEqual({ server: 1, probe: true });
  });

  test('a success of a request sent before the server went out brings it back too', async () => {
    const { balancer } = await setup([1, Infinity], { policy: 'least-outstanding', backoffMs: 10_000 });
    expect(balancer.tryAcquire(0)).toBe(0); // server 0 full: the next four go to server 1
    expect([0, 0, 0, 0].map((c) => balancer.tryAcquire(c))).toEqual([1, 1, 1, 1]);
    for (let i = 0; i < 3; i++) balancer.release(1, UNAVAILABLE, 10);
    balancer.release(0, OK, 10);
    expect(balancer.ejections(1)).toBe(1);
    expect([0, 1].map((c) => peek(balancer, c))).toEqual([0, 0]);
    balancer.release(1, OK, 10); // the fourth, sent before the ejection
    expect([0, 1].map((c) => peek(balancer, c))).toEqual([0, 1]);
  });

  test('when every server is out, requests go to them anyway (panic routing)', async () => {
    const { balancer } = await setup([2, 2], { policy: 'least-outstanding', backoffMs: 10_000 });
    eject(balancer, 0);
    eject(balancer, 1);
    expect([0, 1].map((s) => balancer.ejections(s))).toEqual([1, 1]);
    const held = [0, 1, 0, 1].map((c) => decode(balancer.tryAcquire(c)));
    expect(held).toEqual([0, 1, 0, 1].map((server) => ({ server, probe: false })));
    // Panic routing still keeps the caps.
    expect(balancer.tryAcquire(0)).toBe(-1);
  });

  test('in panic, a server that comes due is probed before anything else', async () => {
    const { time, balancer } = await setup([Infinity, Infinity], { backoffMs: 100 });
    eject(balancer, 0);
    await advance(time, 50);
    eject(balancer, 1);
    await advance(time, 50);
    expect(decode(balancer.tryAcquire(1))).toEqual({ server: 0, probe: true });
  });

  test('which failures blame the server', () => {
    const outcomes: [Outcome, boolean][] = [
      [OK, false],
      [ABORTED, false],
      [NOT_FOUND, false],
      [{ kind: 'http_error', status: 400 }, false],
      [{ kind: 'http_error', status: 408 }, true],
      [{ kind: 'http_error', status: 429 }, true],
      [{ kind: 'http_error', status: 500 }, true],
      [{ kind: 'timeout', phase: 'total' }, true],
      [{ kind: 'connection_error', code: 'ECONNREFUSED', message: 'refused' }, true],
      [{ kind: 'protocol_error', message: 'bad JSON' }, true],
    ];
    expect(outcomes.map(([o]) => blamesServer(o))).toEqual(outcomes.map(([, blamed]) => blamed));
  });
});

describe('busy time', () => {
  test('counts time with at least one request in flight, exactly, from the run start', async () => {
    const { time, balancer } = await setup([Infinity], {}, 1000);
    // On virtual time from t0 = 1000: busy 1010-1030 (two overlapping), 1040-1045, 1100-1100.25.
    const request = async (at: number, ms: number) => {
      await time.sleep(at - time.now());
      const s = balancer.tryAcquire(0);
      await time.sleep(ms);
      balancer.release(s, OK, ms);
    };
    await time.run(Promise.all([request(1010, 15), request(1020, 10), request(1040, 5), request(1100, 0.25)]));
    expect(balancer.busyMs(0, time.now() - 1000)).toBe(20 + 5 + 0.25);
    expect(balancer.maxInFlight(0)).toBe(2);
  });

  test('a server still busy at the end counts up to the end time given', async () => {
    const { time, balancer } = await setup([Infinity, Infinity], { policy: 'least-outstanding' }, 1000);
    await advance(time, 10);
    expect(balancer.tryAcquire(0)).toBe(0);
    await advance(time, 30);
    expect([balancer.busyMs(0, 40), balancer.busyMs(0, 90), balancer.busyMs(1, 90)]).toEqual([30, 80, 0]);
  });
});
