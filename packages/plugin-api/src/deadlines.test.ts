import { expect, test } from 'vitest';
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
