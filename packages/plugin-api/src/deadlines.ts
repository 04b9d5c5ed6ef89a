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
 * The timer runs only while something is in flight. Call `settle` when an entry ends otherwise:
 * ended entries leave the queue there too, not only in a sweep, because entries that all end
 * without a timer turn (an in-process server answering at once) would never see one.
 */
export class DeadlineQueue<T extends Expiring> {
  /** Entries from `head` on; the slots before it are emptied as it passes, so an ended entry is not kept alive. */
  private queue: (T | undefined)[] = [];
  private head = 0;
  private live = 0;
  /** True while a sweep walks the queue, which `settle` must then leave alone. */
  private sweeping = false;
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
    if (this.sweeping) return true;
    if (this.live === 0) this.empty();
    else if (this.queue[this.head] === entry) this.trim();
    return true;
  }

  /** Entries still in flight, oldest first. */
  *pending(): Generator<T> {
    for (let i = this.head; i < this.queue.length; i++) {
      const entry = this.queue[i]!;
      if (!entry.done) yield entry;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    const now = this.clock.now();
    const q = this.queue;
    this.sweeping = true;
    try {
      while (this.head < q.length) {
        const entry = q[this.head]!;
        if (!entry.done) {
          if (entry.deadline > now) break;
          this.settle(entry);
          this.expire(entry);
        }
        q[this.head++] = undefined;
      }
    } finally {
      this.sweeping = false;
    }
    if (this.live === 0) this.empty();
    else this.trim();
  }

  /**
   * Drops ended entries from the front; ones that ended out of order go when the head passes them.
   * A passed slot is emptied at once: a queue holding a thousand ended requests (their handlers,
   * promises and closures) made every young-generation GC copy them, which cost more CPU per request
   * than the rest of the engine's work.
   */
  private trim(): void {
    const q = this.queue;
    while (this.head < q.length && q[this.head]!.done) q[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
  }

  private empty(): void {
    this.close();
    this.queue = [];
    this.head = 0;
  }
}
