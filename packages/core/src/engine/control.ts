/**
 * The shared memory through which every thread running a load point agrees on what happens next.
 * All coordination is here, exact under any thread count:
 * - request indexes are claimed from one counter, so each is sent exactly once;
 * - a barrier generation word releases batch k+1 only after all of batch k ended, in every thread;
 * - in paced mode a global in-flight counter bounds the requests outstanding.
 * Waiting uses Atomics.waitAsync, so no thread blocks its event loop.
 */
const I = {
  NEXT: 0,
  BATCH_DONE: 1,
  GENERATION: 2,
  STOP: 3,
  RELEASES: 4,
  ARRIVED: 5,
  STARTED: 6,
  IN_FLIGHT: 7,
  MAX_IN_FLIGHT: 8,
  DONE: 9,
  FAILURES: 10,
  /** Waits on RELEASES now pending, in every thread: a release notifies only when there are some. */
  RELEASE_WAITERS: 11,
} as const;
const INTS = 16;

const F = { T0: 0, BATCH_ENDS: 1 } as const;

export interface ControlShape {
  /** Number of barrier batches (0 when there is no barrier). */
  readonly batches: number;
  /** Tasks (threads) that must arrive before the run starts. */
  readonly parties: number;
}

export class Control {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly shape: ControlShape;

  constructor(
    readonly buffer: SharedArrayBuffer,
    shape: ControlShape,
  ) {
    this.shape = shape;
    this.i32 = new Int32Array(buffer, 0, INTS);
    this.f64 = new Float64Array(buffer, INTS * 4, 1 + shape.batches);
  }

  static create(shape: ControlShape): Control {
    return new Control(new SharedArrayBuffer(INTS * 4 + 8 * (1 + shape.batches)), shape);
  }

  // ------------------------------------------------------------------ start and stop

  /** Arrive at the start line; resolves (with the run's start time) once every party has arrived. */
  async arrive(now: () => number): Promise<number> {
    if (Atomics.add(this.i32, I.ARRIVED, 1) + 1 === this.shape.parties) {
      this.f64[F.T0] = now();
      Atomics.store(this.i32, I.STARTED, 1);
      Atomics.notify(this.i32, I.STARTED);
    } else {
      await this.waitUntil(I.STARTED, 1);
    }
    return this.f64[F.T0]!;
  }

  get t0(): number {
    return this.f64[F.T0]!;
  }

  stop(): void {
    // Once only: a second stop (Ctrl-C plus a worker failing) must not wrap the generation word.
    if (Atomics.exchange(this.i32, I.STOP, 1) === 1) return;
    Atomics.notify(this.i32, I.STOP);
    // Release the start line too, so parties waiting for one that failed do not wait forever.
    Atomics.store(this.i32, I.STARTED, 1);
    Atomics.notify(this.i32, I.STARTED);
    // Wake everything that waits, so stopped lanes notice.
    Atomics.add(this.i32, I.RELEASES, 1);
    Atomics.notify(this.i32, I.RELEASES);
    Atomics.add(this.i32, I.GENERATION, 1 << 30);
    Atomics.notify(this.i32, I.GENERATION);
  }

  get stopped(): boolean {
    return Atomics.load(this.i32, I.STOP) === 1;
  }

  /** Resolves when `stop()` is called from any thread. */
  whenStopped(): Promise<void> {
    return this.waitUntil(I.STOP, 1);
  }

  // ------------------------------------------------------------------ requests

  /** The next request index, unique across all threads. */
  claim(): number {
    return Atomics.add(this.i32, I.NEXT, 1);
  }

  /** Counts a request as started (global in flight) and keeps the maximum. */
  begin(): void {
    this.raise(I.MAX_IN_FLIGHT, Atomics.add(this.i32, I.IN_FLIGHT, 1) + 1);
  }

  /** Raises the shared maximum at `index` to `value` if it is lower (lock-free). */
  private raise(index: number, value: number): void {
    let max = Atomics.load(this.i32, index);
    while (value > max) {
      const seen = Atomics.compareExchange(this.i32, index, max, value);
      if (seen === max) return;
      max = seen;
    }
  }

  end(failed: boolean): void {
    Atomics.sub(this.i32, I.IN_FLIGHT, 1);
    Atomics.add(this.i32, I.DONE, 1);
    if (failed) Atomics.add(this.i32, I.FAILURES, 1);
  }

  /** Undoes `begin` for a request that was never sent (the run stopped while it queued). */
  abandon(): void {
    Atomics.sub(this.i32, I.IN_FLIGHT, 1);
    this.released();
  }

  get inFlight(): number {
    return Atomics.load(this.i32, I.IN_FLIGHT);
  }

  get maxInFlight(): number {
    return Atomics.load(this.i32, I.MAX_IN_FLIGHT);
  }

  get done(): number {
    return Atomics.load(this.i32, I.DONE);
  }

  get failures(): number {
    return Atomics.load(this.i32, I.FAILURES);
  }

  /**
   * Waits until fewer than `limit` requests are in flight globally and takes a place (paced mode).
   * Returns false when the run stops first.
   */
  async acquireGlobal(limit: number): Promise<boolean> {
    for (;;) {
      if (this.stopped) return false;
      const observed = Atomics.load(this.i32, I.RELEASES);
      const current = Atomics.load(this.i32, I.IN_FLIGHT);
      if (current < limit) {
        if (Atomics.compareExchange(this.i32, I.IN_FLIGHT, current, current + 1) === current) {
          this.raise(I.MAX_IN_FLIGHT, current + 1);
          return true;
        }
        continue;
      }
      await this.waitChange(I.RELEASES, observed);
    }
  }

  // ------------------------------------------------------------------ releases

  /** Changes whenever a server slot or a global place is freed; read it before trying, then wait on it. */
  get releases(): number {
    return Atomics.load(this.i32, I.RELEASES);
  }

  /** Resolves once something was released after `observed` was read (or the run stops, or `timeoutMs` passes). */
  waitForRelease(observed: number, timeoutMs?: number): Promise<void> {
    return this.waitChange(I.RELEASES, observed, timeoutMs);
  }

  /**
   * Signals that a server slot or a global place was freed. `Atomics.notify` costs more than the
   * rest of a release, and most releases have no waiter, so it is called only when one is counted.
   * No wake-up is lost: a waiter counts itself before `waitAsync` compares RELEASES with the value
   * it read, and this reads the count after changing RELEASES (both sequentially consistent), so
   * either the waiter sees the new value and does not sleep, or this sees the waiter and wakes it.
   */
  released(): void {
    Atomics.add(this.i32, I.RELEASES, 1);
    if (Atomics.load(this.i32, I.RELEASE_WAITERS) > 0) Atomics.notify(this.i32, I.RELEASES);
  }

  // ------------------------------------------------------------------ barrier

  /** Resolves once batch `k` may start (every request of batch k-1 has ended). */
  async waitForBatch(k: number): Promise<void> {
    for (;;) {
      const g = Atomics.load(this.i32, I.GENERATION);
      if (g >= k || this.stopped) return;
      await this.waitChange(I.GENERATION, g);
    }
  }

  /**
   * Marks one request of batch `k` (of `size` requests) ended at `end`; the last one records the
   * batch end time and opens batch k+1 in every thread.
   */
  endInBatch(k: number, size: number, end: number): void {
    if (Atomics.add(this.i32, I.BATCH_DONE, 1) + 1 === size) {
      Atomics.store(this.i32, I.BATCH_DONE, 0);
      this.f64[F.BATCH_ENDS + k] = end;
      Atomics.add(this.i32, I.GENERATION, 1);
      Atomics.notify(this.i32, I.GENERATION);
    }
  }

  /** Batches that ended completely (a stop does not count as one). */
  get completedBatches(): number {
    return Atomics.load(this.i32, I.GENERATION) & ((1 << 30) - 1);
  }

  /** When batch `k` ended (valid once batch k+1 may start). */
  batchEnd(k: number): number {
    return this.f64[F.BATCH_ENDS + k]!;
  }

  // ------------------------------------------------------------------ waiting

  private async waitUntil(index: number, value: number): Promise<void> {
    for (;;) {
      const v = Atomics.load(this.i32, index);
      if (v >= value) return;
      await this.waitChange(index, v);
    }
  }

  private async waitChange(index: number, observed: number, timeoutMs?: number): Promise<void> {
    const counted = index === I.RELEASES;
    if (counted) Atomics.add(this.i32, I.RELEASE_WAITERS, 1);
    try {
      const result = Atomics.waitAsync(this.i32, index, observed, timeoutMs);
      if (result.async) await result.value;
    } finally {
      if (counted) Atomics.sub(this.i32, I.RELEASE_WAITERS, 1);
    }
  }
}
