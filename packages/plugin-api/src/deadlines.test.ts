import { expect, test } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DeadlineQueue, type Expiring } from './deadlines.js';

const clock = { now: () => performance.now() };

test('entries expire in order within one sweep after their deadline; settled ones never do', async () => {
  const expired: { id: number; lateMs: number }[] = [];
  type Entry = Expiring & { id: number };
  const q = new DeadlineQueue<Entry>(clock, 50, (e) => expired.push({ id: e.id, lateMs: clock.now() - e.deadline }));
  const entries: Entry[] = [1, 2, 3, 4].map((id) => ({ id, done: false, deadline: q.deadline() }));
  for (const e of entries) q.add(e);
  expect(q.settle(entries[1]!)).toBe(true);
  expect(q.settle(entries[1]!)).toBe(false); // ended once only
  expect([...q.pending()].map((e) => e.id)).toEqual([1, 3, 4]);
  await new Promise((r) => setTimeout(r, 120));
  expect(expired.map((e) => e.id)).toEqual([1, 3, 4]);
  // Sweeps every 5 ms (a tenth of 50): late by at most a sweep, plus timer slack.
  for (const e of expired) expect(e.lateMs).toBeLessThan(5 + 25);
  expect(entries.every((e) => e.done)).toBe(true);
  expect(q.settle(entries[0]!)).toBe(false); // expired: settling it later is a no-op
});

test('entries settled without a sweep in between, in and out of order, leave only the live ones to expire', async () => {
  // An in-process server answering at once settles every entry before any timer turn: the queue
  // must drop them in settle, and still expire exactly the ones left, whatever order they ended in.
  let now = 0;
  const fake = { now: () => now };
  const expired: number[] = [];
  type Entry = Expiring & { id: number };
  const q = new DeadlineQueue<Entry>(fake, 10, (e) => expired.push(e.id));
  const entries: Entry[] = [];
  for (let id = 0; id < 5000; id++) {
    const e = { id, done: false, deadline: q.deadline() };
    entries.push(e);
    q.add(e);
    // Each settles after the next was added (two in flight), except 1500 and 4999, left in flight.
    if (id > 0 && id - 1 !== 1500) q.settle(entries[id - 1]!);
  }
  expect([...q.pending()].map((e) => e.id)).toEqual([1500, 4999]);
  now = 10;
  await new Promise((r) => setTimeout(r, 30)); // a few 1 ms sweeps
  expect(expired).toEqual([1500, 4999]);
  expect([...q.pending()]).toEqual([]);
});

test('an entry that ended is not kept alive by the queue while later ones are in flight', async () => {
  // A queue that kept its passed slots held about a thousand ended requests (handlers, promises,
  // closures) at any time, and every young-generation GC copied them: more CPU per request than the
  // rest of the engine's work. Entries 0..99 end in order while entry 100 is still in flight.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const q = new DeadlineQueue<Expiring & { payload: number[] }>(clock, 60_000, () => {});
  const make = () => ({ done: false, deadline: q.deadline(), payload: [1, 2, 3] });
  const live = make();
  // In a function of its own, so that no frame of the test still holds an ended entry.
  const endHundred = (): WeakRef<object>[] => {
    const entries = Array.from({ length: 100 }, make);
    for (const e of entries) q.add(e);
    q.add(live);
    for (const e of entries) q.settle(e);
    return entries.map((e) => new WeakRef(e));
  };
  const ended = endHundred();
  await new Promise((r) => setImmediate(r));
  gc();
  expect(ended.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  expect([...q.pending()]).toEqual([live]);
  q.close();
});
