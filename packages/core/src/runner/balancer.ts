/**
 * Client-side slots per server: never more than a server's `max_concurrent_requests` in flight to it.
 * `acquire` picks the server with the fewest outstanding requests (ties go round-robin); when every
 * server is at its cap the caller waits, first come first served, and the wait is queue time.
 */
export class SlotPool {
  private readonly outstanding: number[];
  private readonly waiters: ((server: number) => void)[] = [];
  private cursor = 0;

  constructor(private readonly caps: readonly number[]) {
    if (caps.length === 0) throw new Error('SlotPool needs at least one server');
    this.outstanding = caps.map(() => 0);
  }

  /** A server index synchronously when one has a free slot, otherwise a promise of one. */
  acquire(): number | Promise<number> {
    const server = this.pick();
    if (server >= 0) {
      this.outstanding[server]!++;
      return server;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(server: number): void {
    const next = this.waiters.shift();
    if (next) {
      // Hand the freed slot straight to the oldest waiter unless another server is less loaded.
      const better = this.pick();
      if (better >= 0 && this.outstanding[better]! < this.outstanding[server]! - 1) {
        this.outstanding[server]!--;
        this.outstanding[better]!++;
        next(better);
      } else next(server);
      return;
    }
    this.outstanding[server]!--;
  }

  private pick(): number {
    const n = this.caps.length;
    let best = -1;
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      if (this.outstanding[i]! >= this.caps[i]!) continue;
      if (best < 0 || this.outstanding[i]! < this.outstanding[best]!) best = i;
    }
    if (best >= 0) this.cursor = (best + 1) % n;
    return best;
  }
}
