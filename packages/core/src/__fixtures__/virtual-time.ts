import type { Clock } from '@llmbench/plugin-api';

/**
 * A virtual clock for deterministic tests: `sleep` registers a timer in virtual time, and `run`
 * advances time to the next timer whenever all work is blocked on one. No real time passes.
 */
export class VirtualTime implements Clock {
  private t = 0;
  private seq = 0;
  private readonly timers: { at: number; seq: number; resolve: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.push({ at: this.t + ms, seq: this.seq++, resolve }));
  }

  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const tracked = work.finally(() => {
      settled = true;
    });
    tracked.catch(() => undefined);
    for (let steps = 0; ; steps++) {
      if (steps > 1_000_000) throw new Error('virtual time: too many steps');
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      if (settled) return tracked;
      if (this.timers.length === 0) throw new Error('virtual time: work is blocked on something other than a virtual timer');
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.t = next.at;
      next.resolve();
    }
  }
}
