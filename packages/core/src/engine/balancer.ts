import type { Outcome } from '@llmbench/plugin-api';
import { monotonicClock } from './clock.js';
import type { Control } from './control.js';

/**
 * The client-side load balancer, shared by every thread of a run through one SharedArrayBuffer.
 *
 * - Caps: a slot on a server is taken by compare-and-swap below its `max_concurrent_requests`, so no
 *   cap is ever exceeded, whatever the thread count; requests with no slot queue, first come first
 *   served across threads (queue time).
 * - Policy: `latency-aware` (default) picks the lowest (outstanding + 1) x EWMA latency, the EWMA
 *   decaying with the age of its last sample so an idle server is tried again; `least-outstanding`
 *   picks the fewest outstanding; `round-robin` takes servers in turn. Scores within
 *   `TIE_TOLERANCE` of the best are ties, broken by each thread's rotating cursor.
 * - Health: `eject_after` consecutive failures a server can be blamed for take it out for a back-off
 *   period (doubling on each failed probe, up to `max_backoff_ms`); when the period ends one probe
 *   request is sent, and its success brings the server back. When every server is out, requests go
 *   to all of them anyway (panic routing, as Envoy does), so a broken fleet slows nothing down and
 *   every request still ends as an outcome.
 * - Busy time: each 0 -> 1 transition of a server's slot counter adds its time to one sum and each
 *   1 -> 0 transition to another; busy time = sum of ends - sum of starts, exact without a lock.
 */
export type BalancerPolicy = 'latency-aware' | 'least-outstanding' | 'round-robin';
export const BALANCER_POLICIES: readonly BalancerPolicy[] = ['latency-aware', 'least-outstanding', 'round-robin'];

export interface BalancerOptions {
  readonly policy: BalancerPolicy;
  /** Weight of the newest latency sample in the EWMA (0..1]. */
  readonly ewmaAlpha: number;
  /** Time constant (ms) with which an EWMA decays toward zero while the server gets no samples. */
  readonly ewmaDecayMs: number;
  /** Consecutive blamable failures that take a server out (0: never). */
  readonly ejectAfter: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_BALANCER: BalancerOptions = {
  policy: 'latency-aware',
  ewmaAlpha: 0.3,
  ewmaDecayMs: 2000,
  ejectAfter: 3,
  backoffMs: 1000,
  maxBackoffMs: 30_000,
};

/**
 * Added to the server index `tryAcquire` returns when the request is a server's probe; the caller
 * hands the flag back to `release`, so only the probe's own outcome decides the server's fate.
 */
export const PROBE = 1 << 16;

/** Scores within this factor of the best are treated as equal, so equal servers share the load. */
export const TIE_TOLERANCE = 1.1;

const UP = 0;
const DOWN = 1;
const PROBING = 2;

// Int32 fields per server, then the global words.
const I_SLOTS = 0;
const I_MAX = 1;
const I_CONSEC = 2;
const I_STATE = 3;
const I_EJECTIONS = 4;
const I_FIELDS = 5;
const G_ROUND_ROBIN = 0;
const G_TICKETS = 1;
const G_SERVING = 2;
const GLOBALS = 3;
// Float64 fields per server.
const F_EWMA = 0;
const F_SAMPLED_AT = 1;
const F_DOWN_UNTIL = 2;
const F_BACKOFF = 3;
const F_FIELDS = 4;
// BigInt64 fields per server: busy starts and ends summed, in microseconds since t0.
const B_STARTS = 0;
const B_ENDS = 1;
const B_FIELDS = 2;

/** Whether a failure says something about the server (client-side errors and aborts do not). */
export function blamesServer(outcome: Outcome): boolean {
  switch (outcome.kind) {
    case 'ok':
    case 'aborted':
      return false;
    case 'http_error':
      return outcome.status >= 500 || outcome.status === 429 || outcome.status === 408;
    default:
      return true;
  }
}

/**
 * The balancer's clocks, shared by every thread. `health` times EWMA ages and back-offs (seconds
 * matter, so a cheap millisecond clock will do: Date.now in the engine); `busy` times busy periods
 * and must be the clock of the run's t0 (the monotonic clock).
 */
export interface BalancerClocks {
  readonly health: () => number;
  readonly busy: () => number;
}

export class Balancer {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly big: BigInt64Array;
  private readonly n: number;
  private readonly policy: number;
  /** Each server's decayed EWMA, computed once per pick (this thread's scratch space). */
  private readonly scratch: Float64Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly caps: readonly number[],
    readonly options: BalancerOptions,
    private readonly control: Control,
    private readonly clocks: BalancerClocks,
  ) {
    this.n = caps.length;
    const n = this.n;
    const layout = Balancer.layout(n);
    this.i32 = new Int32Array(buffer, 0, n * I_FIELDS + GLOBALS);
    this.f64 = new Float64Array(buffer, layout.f64, n * F_FIELDS);
    this.big = new BigInt64Array(buffer, layout.big, n * B_FIELDS);
    this.policy = BALANCER_POLICIES.indexOf(options.policy);
    this.scratch = new Float64Array(n);
  }

  private static layout(n: number): { f64: number; big: number; bytes: number } {
    const f64 = Math.ceil(((n * I_FIELDS + GLOBALS) * 4) / 8) * 8;
    const big = f64 + n * F_FIELDS * 8;
    return { f64, big, bytes: big + n * B_FIELDS * 8 };
  }

  static create(caps: readonly number[], options: BalancerOptions, control: Control, clocks: BalancerClocks): Balancer {
    const b = new Balancer(new SharedArrayBuffer(Balancer.layout(caps.length).bytes), caps, options, control, clocks);
    for (let s = 0; s < caps.length; s++) b.f64[s * F_FIELDS + F_BACKOFF] = options.backoffMs;
    return b;
  }

  // ------------------------------------------------------------------ picking

  /**
   * Takes a slot on the server the policy prefers, or returns -1 when none has room. `cursor`
   * rotates ties (each thread passes its own). A probe comes back as server + PROBE.
   */
  tryAcquire(cursor: number): number {
    const n = this.n;
    const { i32, caps, scratch } = this;
    const aware = this.policy === 0;
    // The health clock is read only when needed: for latency-aware scores, or a server that is out.
    let t = aware ? this.clocks.health() : -1;
    for (;;) {
      const start = this.policy === 2 ? Atomics.load(i32, n * I_FIELDS + G_ROUND_ROBIN) % n : cursor % n;
      let healthy = 0;
      let best = -1;
      let bestLoad = 0;
      let bestScore = Infinity;
      // A due probe goes first: it is how a server comes back.
      for (let k = 0; k < n; k++) {
        const s = (start + k) % n;
        const state = Atomics.load(i32, s * I_FIELDS + I_STATE);
        if (state === UP) {
          healthy++;
          continue;
        }
        if (state !== DOWN) continue;
        if (t < 0) t = this.clocks.health();
        if (t >= this.f64[s * F_FIELDS + F_DOWN_UNTIL]!) {
          if (Atomics.compareExchange(i32, s * I_FIELDS + I_STATE, DOWN, PROBING) !== DOWN) continue;
          if (this.takeSlot(s)) return s + PROBE;
          // Full of old requests: probe later (unless one of them just brought it back up).
          Atomics.compareExchange(i32, s * I_FIELDS + I_STATE, PROBING, DOWN);
        }
      }
      const panic = healthy === 0;
      let minEwma = 0;
      if (aware) {
        for (let s = 0; s < n; s++) {
          const e = this.ewma(s, t);
          scratch[s] = e;
          if (e > 0 && (minEwma === 0 || e < minEwma)) minEwma = e;
        }
      }
      const tolerance = aware ? TIE_TOLERANCE : 1;
      for (let k = 0; k < n; k++) {
        const s = (start + k) % n;
        if (!panic && Atomics.load(i32, s * I_FIELDS + I_STATE) !== UP) continue;
        const load = Atomics.load(i32, s * I_FIELDS + I_SLOTS);
        if (load >= caps[s]!) continue;
        if (this.policy === 2) {
          best = s;
          bestLoad = load;
          break;
        }
        const score = aware ? (load + 1) * (scratch[s]! || minEwma || 1) : load;
        if (score < bestScore / tolerance || (best < 0 && score <= bestScore)) {
          best = s;
          bestLoad = load;
          bestScore = score;
        }
      }
      if (best < 0) return -1;
      if (Atomics.compareExchange(i32, best * I_FIELDS + I_SLOTS, bestLoad, bestLoad + 1) !== bestLoad) continue;
      this.took(best, bestLoad + 1);
      if (this.policy === 2) Atomics.add(i32, n * I_FIELDS + G_ROUND_ROBIN, 1);
      return best;
    }
  }

  /**
   * Takes a slot at once if nobody is queued and one is free; -1 otherwise (then `acquire`), so a
   * request never overtakes one that is already waiting.
   */
  tryAcquireUnqueued(cursor: number): number {
    const g = this.n * I_FIELDS;
    if (Atomics.load(this.i32, g + G_TICKETS) !== Atomics.load(this.i32, g + G_SERVING)) return -1;
    return this.tryAcquire(cursor);
  }

  /**
   * Queues for a slot, first come first served across every thread (a ticket, like a bakery's),
   * and resolves with the server; -1 if the run stops first.
   */
  async acquire(cursor: number): Promise<number> {
    const g = this.n * I_FIELDS;
    const ticket = Atomics.add(this.i32, g + G_TICKETS, 1);
    for (;;) {
      if (this.control.stopped) return -1;
      const observed = this.control.releases;
      if (Atomics.load(this.i32, g + G_SERVING) === ticket) {
        const server = this.tryAcquire(cursor);
        if (server >= 0) {
          Atomics.add(this.i32, g + G_SERVING, 1);
          this.control.released(); // the next in line may find a slot too
          return server;
        }
      }
      // Wake for a release, or when a server that is out comes due for its probe.
      await this.control.waitForRelease(observed, this.untilNextProbe());
    }
  }

  private takeSlot(s: number): boolean {
    const i = s * I_FIELDS + I_SLOTS;
    for (;;) {
      const load = Atomics.load(this.i32, i);
      if (load >= this.caps[s]!) return false;
      if (Atomics.compareExchange(this.i32, i, load, load + 1) === load) {
        this.took(s, load + 1);
        return true;
      }
    }
  }

  private took(s: number, load: number): void {
    const i = s * I_FIELDS + I_MAX;
    let max = Atomics.load(this.i32, i);
    while (load > max) {
      const seen = Atomics.compareExchange(this.i32, i, max, load);
      if (seen === max) break;
      max = seen;
    }
    if (load === 1) Atomics.add(this.big, s * B_FIELDS + B_STARTS, this.sinceT0());
  }

  /**
   * The server's latency estimate; 0 when it has no sample yet. Idle, the EWMA decays with the age
   * of its last sample, so a server once slow is tried again. Busy, it does not decay: the estimate
   * is at least the time since its last response, so a server that stops answering looks slower
   * and slower instead of faster.
   */
  private ewma(s: number, t: number): number {
    const e = this.f64[s * F_FIELDS + F_EWMA]!;
    if (e === 0) return 0;
    const age = t - this.f64[s * F_FIELDS + F_SAMPLED_AT]!;
    if (Atomics.load(this.i32, s * I_FIELDS + I_SLOTS) > 0) return Math.max(e, age);
    return age > 0 ? e * Math.exp(-age / this.options.ewmaDecayMs) : e;
  }

  /** Milliseconds until the next server that is out may be probed; undefined when none is out. */
  private untilNextProbe(): number | undefined {
    let next: number | undefined;
    for (let s = 0; s < this.n; s++) {
      if (Atomics.load(this.i32, s * I_FIELDS + I_STATE) !== DOWN) continue;
      const until = this.f64[s * F_FIELDS + F_DOWN_UNTIL]!;
      if (next === undefined || until < next) next = until;
    }
    return next === undefined ? undefined : Math.max(1, next - this.clocks.health());
  }

  // ------------------------------------------------------------------ outcomes

  /** Frees the slot and learns from the outcome: latency into the EWMA, failures into health. */
  release(s: number, outcome: Outcome, latencyMs: number, probe = false): void {
    this.learn(s, outcome, latencyMs, this.clocks.health(), probe);
    if (Atomics.sub(this.i32, s * I_FIELDS + I_SLOTS, 1) === 1) Atomics.add(this.big, s * B_FIELDS + B_ENDS, this.sinceT0());
    this.control.released();
  }

  private learn(s: number, outcome: Outcome, latencyMs: number, t: number, probe: boolean): void {
    const { i32, f64, options } = this;
    const state = s * I_FIELDS + I_STATE;
    if (outcome.kind === 'ok') {
      const e = f64[s * F_FIELDS + F_EWMA]!;
      f64[s * F_FIELDS + F_EWMA] = e === 0 ? latencyMs : e + options.ewmaAlpha * (latencyMs - e);
      f64[s * F_FIELDS + F_SAMPLED_AT] = t;
      Atomics.store(i32, s * I_FIELDS + I_CONSEC, 0);
      // Any success is evidence the server works again (a probe's, or an older request's).
      if (Atomics.load(i32, state) !== UP) {
        f64[s * F_FIELDS + F_BACKOFF] = options.backoffMs;
        Atomics.store(i32, state, UP);
      }
      return;
    }
    const blamed = blamesServer(outcome) && options.ejectAfter > 0;
    if (probe) {
      // A failed probe sends the server back out: for twice as long if the server is to blame,
      // for the same time if not (a 404, the run stopping), so it is always probed again.
      const backoff = blamed
        ? Math.min(options.maxBackoffMs, f64[s * F_FIELDS + F_BACKOFF]! * 2)
        : f64[s * F_FIELDS + F_BACKOFF]!;
      // The deadline is written before the state, so no thread sees DOWN with a stale deadline;
      // if an older request's success brought the server up meanwhile, it stays up.
      f64[s * F_FIELDS + F_DOWN_UNTIL] = t + backoff;
      if (Atomics.compareExchange(i32, state, PROBING, DOWN) === PROBING) f64[s * F_FIELDS + F_BACKOFF] = backoff;
      return;
    }
    if (!blamed) return;
    // Failures of requests sent before the server went out say nothing new about it.
    const consecutive = Atomics.add(i32, s * I_FIELDS + I_CONSEC, 1) + 1;
    if (consecutive >= options.ejectAfter && Atomics.load(i32, state) === UP) {
      f64[s * F_FIELDS + F_DOWN_UNTIL] = t + f64[s * F_FIELDS + F_BACKOFF]!;
      if (Atomics.compareExchange(i32, state, UP, DOWN) === UP) Atomics.add(i32, s * I_FIELDS + I_EJECTIONS, 1);
    }
  }

  private sinceT0(): bigint {
    return BigInt(Math.round((this.clocks.busy() - this.control.t0) * 1000));
  }

  // ------------------------------------------------------------------ readings

  outstanding(s: number): number {
    return Atomics.load(this.i32, s * I_FIELDS + I_SLOTS);
  }

  maxInFlight(s: number): number {
    return Atomics.load(this.i32, s * I_FIELDS + I_MAX);
  }

  ejections(s: number): number {
    return Atomics.load(this.i32, s * I_FIELDS + I_EJECTIONS);
  }

  /** Time (ms) the server had at least one request in flight, up to `endMs` after t0 for one still busy. */
  busyMs(s: number, endMs: number): number {
    let busy = Number(Atomics.load(this.big, s * B_FIELDS + B_ENDS) - Atomics.load(this.big, s * B_FIELDS + B_STARTS)) / 1000;
    if (this.outstanding(s) > 0) busy += endMs;
    return Math.max(0, busy);
  }
}

/** The clocks the engine runs the balancer on: Date.now for health (cheap), hrtime for busy time. */
export const BALANCER_CLOCKS: BalancerClocks = { health: Date.now, busy: monotonicClock.now };
