import type { Clock } from './types.js';

/** Something that must end by `deadline` (clock ms); `done` once it has, one way or another. */
export interface Expiring {
  done: boolean;
  readonly deadline: number;
}

/**
 * Deadlines for many things in flight that all have the same timeout, kept by one interval timer
 * rather than one timer each (a timer per request costs more CPU than the rest of the request on a
 * busy client). Because the timeout is the same, adding order is deadline order, so the head of the
 * queue is always the next to expire, and a sweep stops at the first entry not yet due.
 *
 * An entry expires within one sweep interval after its deadline: timeout ÷ 10, between 1 and 250 ms.
 * The timer runs only while something is in flight. Call `settle` when an entry ends otherwise.
 */
export class DeadlineQueue<T extends Expiring> {
  private queue: T[] = [];
  private head = 0;
  private live = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly sweepMs: number;

  constructor(
    private readonly clock: Clock,
    readonly timeoutMs: number,
    private readonly expire: (entry: T) => void,
  ) {
    this.sweepMs = Math.min(250, Math.max(1, Math.floor(timeoutMs / 10)));
  }

  /** The deadline for something starting now. */
  deadline(): number {
    return this.clock.now() + this.timeoutMs;
  }

  add(entry: T): void {
    this.queue.push(entry);
    this.live++;
    this.timer ??= setInterval(() => this.sweep(), this.sweepMs);
  }

  /** Marks an entry as ended before its deadline; false if it had already ended. */
  settle(entry: T): boolean {
    if (entry.done) return false;
    entry.done = true;
    this.live--;
    return true;
  }

  /** Entries still in flight, oldest first. */
  *pending(): Generator<T> {
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i]!.done) yield this.queue[i]!;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    const now = this.clock.now();
    const q = this.queue;
    while (this.head < q.length) {
      const entry = q[this.head]!;
      if (!entry.done) {
        if (entry.deadline > now) break;
        this.settle(entry);
        this.expire(entry);
      }
      this.head++;
    }
    // Drop ended entries from the front; ones that ended out of order go when the head passes them.
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
    if (this.live === 0) {
      this.close();
      this.queue = [];
      this.head = 0;
    }
  }
}
