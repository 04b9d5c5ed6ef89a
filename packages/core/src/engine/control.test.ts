import { describe, expect, test } from 'vitest';
import { Control } from './control.js';

/** Whether `p` settles within a few turns of the event loop (no real time is waited for). */
async function settles(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(() => (settled = true));
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  return settled;
}

describe('requests', () => {
  test('claim hands out every index once, in order, across every Control on the same memory', () => {
    const a = Control.create({ batches: 0, parties: 2 });
    const b = new Control(a.buffer, a.shape); // another thread's view
    expect([a.claim(), b.claim(), a.claim(), b.claim(), b.claim()]).toEqual([0, 1, 2, 3, 4]);
  });

  test('begin and end count in flight, its maximum, done and failures', () => {
    const c = Control.create({ batches: 0, parties: 1 });
    c.begin();
    c.begin();
    c.begin();
    c.end(false);
    c.begin();
    c.end(true);
    c.end(false);
    expect({ inFlight: c.inFlight, max: c.maxInFlight, done: c.done, failures: c.failures }).toEqual({
      inFlight: 1,
      max: 3,
      done: 3,
      failures: 1,
    });
  });

  test('abandon undoes a begin without counting a request, and signals a release', () => {
    const c = Control.create({ batches: 0, parties: 1 });
    c.begin();
    const before = c.releases;
    c.abandon();
    expect({ inFlight: c.inFlight, done: c.done, releasesAdded: c.releases - before }).toEqual({
      inFlight: 0,
      done: 0,
      releasesAdded: 1,
    });
  });
});

describe('start line', () => {
  test('parties wait until the last arrives; all get the start time the last one read', async () => {
    const c = Control.create({ batches: 0, parties: 3 });
    const first = c.arrive(() => 10);
    const second = new Control(c.buffer, c.shape).arrive(() => 20);
    expect(await settles(Promise.race([first, second]))).toBe(false);
    const third = c.arrive(() => 30);
    expect(await Promise.all([first, second, third])).toEqual([30, 30, 30]);
    expect(c.t0).toBe(30);
  });

  test('stop releases parties waiting for one that never arrives', async () => {
    const c = Control.create({ batches: 0, parties: 2 });
    const waiting = c.arrive(() => 5);
    expect(await settles(waiting)).toBe(false);
    c.stop();
    expect(await settles(waiting)).toBe(true);
  });
});

describe('batch barrier', () => {
  test('batch k+1 opens only when the last request of batch k ends, and records that end', async () => {
    const c = Control.create({ batches: 3, parties: 1 });
    await c.waitForBatch(0);
    const next = c.waitForBatch(1);
    c.endInBatch(0, 3, 100);
    c.endInBatch(0, 3, 140);
    expect(await settles(next)).toBe(false);
    c.endInBatch(0, 3, 120); // ends are counted, not compared: the last to end records its time
    expect(await settles(next)).toBe(true);
    expect([c.completedBatches, c.batchEnd(0)]).toEqual([1, 120]);
  });

  test('waves never overlap: each wave starts after every request of the previous one ended', async () => {
    const c = Control.create({ batches: 4, parties: 1 });
    const size = 3;
    const log: string[] = [];
    let clock = 0;
    const lastEnds: number[] = [];
    const lane = async (j: number) => {
      for (let k = 0; k < 4; k++) {
        await c.waitForBatch(k);
        log.push(`start ${k}`);
        // Lane j takes j + 1 event-loop turns, so the lanes of a wave end at different times.
        for (let i = 0; i <= j; i++) await new Promise((r) => setImmediate(r));
        log.push(`end ${k}`);
        lastEnds[k] = ++clock;
        c.endInBatch(k, size, clock);
      }
    };
    await Promise.all([0, 1, 2].map(lane));
    for (let k = 1; k < 4; k++) {
      expect(log.indexOf(`start ${k}`)).toBeGreaterThan(log.lastIndexOf(`end ${k - 1}`));
    }
    expect(c.completedBatches).toBe(4);
    expect([0, 1, 2, 3].map((k) => c.batchEnd(k))).toEqual(lastEnds);
  });

  test('a smaller last batch opens after its own size', async () => {
    const c = Control.create({ batches: 2, parties: 1 });
    for (let i = 0; i < 4; i++) c.endInBatch(0, 4, 1);
    c.endInBatch(1, 1, 9);
    expect([c.completedBatches, c.batchEnd(1)]).toEqual([2, 9]);
  });
});

describe('stop', () => {
  test('stop releases every kind of waiter', async () => {
    const c = Control.create({ batches: 2, parties: 1 });
    c.begin();
    const waiters = [c.waitForBatch(1), c.acquireGlobal(1), c.waitForRelease(c.releases), c.whenStopped()];
    expect(await settles(Promise.race(waiters))).toBe(false);
    c.stop();
    expect(await Promise.all(waiters)).toEqual([undefined, false, undefined, undefined]);
    expect(c.stopped).toBe(true);
  });

  test('stop is once only: further stops (Ctrl-C plus a failing worker) change nothing and do not hang', async () => {
    const c = Control.create({ batches: 4, parties: 1 });
    c.endInBatch(0, 1, 5);
    const before = c.releases;
    c.stop();
    c.stop();
    c.stop();
    expect(await settles(c.waitForBatch(3))).toBe(true);
    expect([c.completedBatches, c.releases - before]).toEqual([1, 1]);
  });

  test('after a stop, acquireGlobal refuses at once even with room', async () => {
    const c = Control.create({ batches: 0, parties: 1 });
    c.stop();
    expect(await c.acquireGlobal(100)).toBe(false);
    expect(c.inFlight).toBe(0);
  });
});

describe('global in-flight bound (paced mode)', () => {
  test('acquireGlobal admits up to the limit, then one more per end and release', async () => {
    const c = Control.create({ batches: 0, parties: 1 });
    expect(await Promise.all([c.acquireGlobal(2), c.acquireGlobal(2)])).toEqual([true, true]);
    let admitted = 0;
    const waiting = [c.acquireGlobal(2), c.acquireGlobal(2)].map((p) => p.then((ok) => (admitted += ok ? 1 : 0)));
    expect(await settles(Promise.race(waiting))).toBe(false);
    c.end(false);
    c.released();
    await settles(Promise.race(waiting));
    expect([admitted, c.inFlight, c.maxInFlight]).toEqual([1, 2, 2]);
    c.end(false);
    c.released();
    await Promise.all(waiting);
    expect([admitted, c.inFlight, c.maxInFlight, c.done]).toEqual([2, 2, 2, 2]);
  });

  test('a release with nothing ended admits nobody', async () => {
    const c = Control.create({ batches: 0, parties: 1 });
    await c.acquireGlobal(1);
    const waiting = c.acquireGlobal(1);
    c.released();
    expect(await settles(waiting)).toBe(false);
    expect(c.inFlight).toBe(1);
    c.stop();
    expect(await waiting).toBe(false);
  });
});

describe('releases', () => {
  test('waitForRelease resolves for a release after the value read, even one made before the wait began', async () => {
    const c = Control.create({ batches: 0, parties: 1 });
    const observed = c.releases;
    c.released(); // between reading and waiting: must not be lost
    expect(await settles(c.waitForRelease(observed))).toBe(true);
    const pending = c.waitForRelease(c.releases);
    expect(await settles(pending)).toBe(false);
    c.released();
    expect(await settles(pending)).toBe(true);
  });
});
