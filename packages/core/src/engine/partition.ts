// Over 400 lines on purpose: one thread's share of a point (closed loop, barrier, paced, conversations)
// and the dispatcher that bounds each request's time share one request path and its bookkeeping.
import {
  DeadlineQueue,
  dispatchOf,
  exchangeTimes,
  outcomeFromError,
  withConnectionFacts,
  type Backend,
  type BenchRequest,
  type Clock,
  type Expiring,
  type OkOutcome,
  type Outcome,
  type TimeoutOutcome,
} from '@llmbench/plugin-api';
import { Tally } from '../metrics/tally.js';
import { requestFactory } from '../runner/requests.js';
import type { ResolvedWorkload } from '../scenario/load.js';
import { monotonicClock } from './clock.js';
import { Balancer, BALANCER_CLOCKS, PROBE, type BalancerOptions } from './balancer.js';
import type { Control } from './control.js';
import type { RunReply } from './protocol.js';
import { RawWriter } from './raw.js';
import { answerSaver } from '../jobs/save.js';
import { conversationPlan, type ConversationPlan } from '../workload/conversations.js';

export interface PartitionPoint {
  readonly concurrency: number;
  readonly barrier: boolean;
  readonly requests: number;
  /** Requests per second (paced, open loop); undefined for closed loop. */
  readonly rate?: number;
  /** Intended start offsets (ms from t0) for paced random (Poisson, gamma) arrivals; evenly spaced when absent. */
  readonly offsets?: Float64Array;
}

export interface PartitionInput {
  readonly point: PartitionPoint;
  /** Global lane ids this partition runs: [start, start + count). Closed loop only. */
  readonly lanes: { readonly start: number; readonly count: number };
  readonly servers: readonly { readonly backend: Backend }[];
  /** Picks a server for each request, within the servers' caps, shared by every thread of the run. */
  readonly balancer: Balancer;
  readonly request: (index: number) => BenchRequest;
  readonly clock: Clock;
  /** Waits in the clock's time (paced mode); real timers by default. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly control: Control;
  readonly timeoutMs: number;
  /** Start of this partition's tie-breaking rotation over servers, so threads spread their first picks. */
  readonly cursor: number;
  /** Measure into a tally (false for warmup). */
  readonly record: boolean;
  readonly raw?: RawWriter;
  /** Where to measure (default: a new tally); pass one to read it while the run is going. */
  readonly tally?: Tally;
  /** Keeps each measured answer (a directory job saves it); called before the request counts as ended. */
  readonly save?: (index: number, server: number, latencyMs: number, outcome: OkOutcome) => void;
  /** Multi-turn conversations: claimed indices are conversations, each sent turn by turn by one lane. */
  readonly conversations?: ConversationPlan;
}

/** One turn of a conversation, handed to `one` with its request; `one` leaves the outcome here. */
interface TurnSlot {
  readonly request: BenchRequest;
  readonly conversation: number;
  readonly turn: number;
  outcome?: Outcome;
}

export interface PartitionResult {
  readonly tally: Tally;
  /** Sum over this partition's requests of (batch end - request end), ms. */
  readonly idleSlotMs: number;
  /** Clock time of the last response in this partition. */
  readonly lastEnd: number;
}

/**
 * Runs one thread's share of a load point. Closed loop: each lane sends a request, waits for it, and
 * claims the next (semaphore), or sends exactly one request per batch and waits at the barrier.
 * Paced: requests start at their intended times, at most `concurrency` in flight globally, and their
 * latency counts from the intended time. Every request ends as one outcome in the tally.
 */
export async function runPartition(input: PartitionInput): Promise<PartitionResult> {
  const { point, control, clock, servers, balancer } = input;
  const tally = input.tally ?? new Tally(servers.length);
  const dispatcher = new Dispatcher(control, clock, input.timeoutMs);
  let cursor = input.cursor;
  let idleSlotMs = 0;
  let lastEnd = -Infinity;

  /**
   * Sends request `index` on `picked` (the balancer's pick) and calls `done` with its end time once
   * it is counted, or `fail` if keeping its answer failed; latency counts from `from` (the intended
   * start in paced mode). Callbacks rather than a promise: the closed loop runs on it without a
   * promise or microtask hop per request.
   */
  const sendOn = (
    index: number,
    picked: number,
    queuedMs: number,
    from: number | undefined,
    slot: TurnSlot | undefined,
    done: (end: number) => void,
    fail: (error: unknown) => void,
  ): void => {
    cursor = (cursor + 1) % servers.length;
    const probe = picked >= PROBE;
    const server = probe ? picked - PROBE : picked;
    if (server < 0) {
      // Stopped while waiting for a slot: never sent, so not a request.
      control.abandon();
      done(clock.now());
      return;
    }
    const start = clock.now();
    tally.started(server, queuedMs);
    const request = slot ? slot.request : input.request(index);
    dispatcher.dispatch(servers[server]!.backend, request, start, (outcome) => {
      let end: number;
      try {
        end = ended(index, server, probe, request, start, from, slot, outcome);
      } catch (error) {
        fail(error);
        return;
      }
      done(end);
    });
  };

  /** A request's bookkeeping once its outcome is in: the balancer, the run's count, the tally. Returns the end time. */
  const ended = (
    index: number,
    server: number,
    probe: boolean,
    request: BenchRequest,
    start: number,
    from: number | undefined,
    slot: TurnSlot | undefined,
    outcome: Outcome,
  ): number => {
    if (slot) slot.outcome = outcome;
    const end = clock.now();
    // The backend's own stamps (handed to HTTP, last byte read) leave our bookkeeping out of the
    // server's time; any that fall outside this call's window are not believed.
    const { sent, ended } = outcome.kind === 'ok' ? exchangeTimes(outcome, start, end) : { sent: start, ended: end };
    balancer.release(server, outcome, ended - sent, probe);
    const latency = ended - (from ?? sent);
    if (input.save && input.record && outcome.kind === 'ok') {
      try {
        input.save(index, server, latency, outcome);
      } catch (error) {
        control.stop();
        throw error;
      }
    }
    control.end(outcome.kind !== 'ok');
    if (input.record) {
      if (outcome.resent || outcome.noReuse) tally.servers[server]!.connection(outcome);
      if (outcome.kind === 'ok') {
        tally.succeeded(server, latency);
        tally.streamed(outcome, from ?? sent, latency);
      } else tally.failed(server, outcome);
      const first = outcome.kind === 'ok' ? outcome.firstTokenAt : undefined;
      const ttft = first === undefined ? undefined : first - (from ?? sent);
      if (slot) tally.turns.ended(slot.turn, outcome, latency, ttft);
      input.raw?.record(index, server, sent - control.t0, latency, outcome, ttft, request, slot);
    } else tally.discard(server);
    if (end > lastEnd) lastEnd = end;
    return end;
  };

  /** Sends request `index`, waiting for a server slot if none is free; resolves with the end time. */
  const one = (index: number, from?: number, slot?: TurnSlot): Promise<number> => {
    const picked = balancer.tryAcquireUnqueued(cursor);
    if (picked < 0) return queued(index, from, slot);
    return new Promise<number>((resolve, reject) => sendOn(index, picked, 0, from, slot, resolve, reject));
  };

  /** Sends request `index` once the balancer's queue gives it a slot; its wait counts as queue time. */
  const queued = async (index: number, from?: number, slot?: TurnSlot): Promise<number> => {
    const queuedAt = clock.now();
    const picked = await balancer.acquire(cursor);
    const queuedMs = clock.now() - queuedAt;
    return new Promise<number>((resolve, reject) => sendOn(index, picked, queuedMs, from, slot, resolve, reject));
  };

  /**
   * A closed-loop lane: claims a request, sends it, and claims the next when it has ended, until the
   * point's requests are claimed or the run stops. A request that finds a free slot runs on callbacks
   * (`sendOn`), with no promise; one that must queue for a slot, or a conversation, goes through the
   * promise path. The next request starts a microtask after the last one's bookkeeping, never inside
   * it: the backend has given its connection back by then, other lanes' answers that came in the same
   * read are counted first (a server failing at once is ejected before it is picked again), and a
   * backend that answers synchronously is not recursed into.
   */
  const lane = (plan: ConversationPlan | undefined): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const loop = (): void => {
        try {
          const index = control.stopped ? point.requests : control.claim();
          if (index >= point.requests) resolve();
          else if (plan) converse(plan, index).then(loop, reject);
          else {
            control.begin();
            const picked = balancer.tryAcquireUnqueued(cursor);
            if (picked < 0) queued(index).then(loop, reject);
            else sendOn(index, picked, 0, undefined, undefined, next, reject);
          }
        } catch (error) {
          reject(error);
        }
      };
      const next = (): void => queueMicrotask(loop);
      loop();
    });

  /**
   * Sends conversation `j` turn by turn, each turn's messages the history so far (the server's
   * answers included); ends at the first turn without an answer. Closed loop: the lane holds its
   * slot for the whole conversation. Paced (`from` given): the first turn has the place `paced`
   * took and its latency counts from `from`; each later turn, sent when the previous answer
   * arrived, takes a place of its own, so `concurrency` bounds requests in flight.
   */
  const converse = async (plan: ConversationPlan, j: number, from?: number): Promise<number> => {
    const turns = plan.turnsOf(j);
    let messages = plan.opening();
    let end = clock.now();
    for (let t = 0; t < turns.length; t++) {
      if (t > 0 && plan.thinkTimeMs > 0) await (input.sleep ?? sleep)(plan.thinkTimeMs);
      if (control.stopped) break;
      messages = [...messages, { role: 'user', content: turns[t]! }];
      const index = plan.requestIndex(j, t);
      const slot: TurnSlot = { request: plan.request(index, messages), conversation: j, turn: t };
      if (from === undefined) control.begin();
      else if (t > 0 && !(await control.acquireGlobal(point.concurrency))) break;
      end = await one(index, t === 0 ? from : undefined, slot);
      if (from !== undefined) control.released();
      const outcome = slot.outcome;
      if (outcome?.kind !== 'ok' || outcome.text === undefined) break;
      messages = [...messages, { role: 'assistant', content: outcome.text }];
    }
    return end;
  };

  const plan = input.conversations;
  try {
    if (point.rate !== undefined) await paced(input, plan ? (index, from) => converse(plan, index, from) : one);
    else if (point.barrier) {
      idleSlotMs = await barrierLanes(input, one);
    } else await Promise.all(Array.from({ length: input.lanes.count }, () => lane(plan)));
  } finally {
    dispatcher.close();
  }
  return { tally, idleSlotMs, lastEnd };
}

/**
 * One thread's share of a run, in the main thread or a worker alike: opens the raw-record file when
 * asked, waits at the start line with the other threads, runs the partition on the process-wide
 * clock, and returns its tally serialized for the merge.
 */
export async function runShare(share: {
  readonly control: Control;
  readonly point: PartitionPoint;
  readonly lanes: { readonly start: number; readonly count: number };
  readonly servers: readonly { readonly id: string; readonly backend: Backend; readonly cap: number }[];
  readonly balancer: { readonly buffer: SharedArrayBuffer; readonly options: BalancerOptions };
  readonly workload: ResolvedWorkload;
  readonly record: boolean;
  readonly thread: number;
  readonly tally: Tally;
  readonly raw?: { readonly path: string; readonly experiment: string; readonly run: number };
}): Promise<RunReply> {
  const raw =
    share.raw && share.record
      ? new RawWriter(share.raw.path, { ...share.raw, thread: share.thread, servers: share.servers.map((s) => s.id) })
      : undefined;
  const saver = share.record
    ? answerSaver(
        share.workload,
        share.servers.map((s) => s.id),
      )
    : undefined;
  try {
    const request = saver?.request ?? requestFactory(share.workload, { warmup: !share.record });
    const conversations = saver ? undefined : conversationPlan(share.workload, { warmup: !share.record });
    await share.control.arrive(monotonicClock.now);
    const result = await runPartition({
      point: share.point,
      lanes: share.lanes,
      servers: share.servers,
      balancer: new Balancer(
        share.balancer.buffer,
        share.servers.map((s) => s.cap),
        share.balancer.options,
        share.control,
        BALANCER_CLOCKS,
      ),
      request,
      clock: monotonicClock,
      control: share.control,
      timeoutMs: share.workload.timeoutMs,
      cursor: share.thread % Math.max(1, share.servers.length),
      record: share.record,
      tally: share.tally,
      ...(raw ? { raw } : {}),
      ...(saver ? { save: saver.save } : {}),
      ...(conversations ? { conversations } : {}),
    });
    return { tally: result.tally.serialize(), idleSlotMs: result.idleSlotMs, lastEnd: result.lastEnd };
  } finally {
    raw?.close();
    saver?.close();
  }
}

async function barrierLanes(input: PartitionInput, one: (index: number) => Promise<number>): Promise<number> {
  const { point, control } = input;
  const n = point.concurrency;
  let idle = 0;
  const lane = async (lane: number): Promise<void> => {
    for (let k = 0; ; k++) {
      const index = k * n + lane;
      if (index >= point.requests) return;
      await control.waitForBatch(k);
      if (control.stopped) return;
      control.begin();
      const end = await one(index);
      const size = Math.min(n, point.requests - k * n);
      control.endInBatch(k, size, end);
      await control.waitForBatch(k + 1);
      if (control.stopped) return;
      idle += control.batchEnd(k) - end;
    }
  };
  await Promise.all(Array.from({ length: input.lanes.count }, (_, j) => lane(input.lanes.start + j)));
  return idle;
}

async function paced(input: PartitionInput, one: (index: number, from: number) => Promise<number>): Promise<void> {
  const { point, control, clock } = input;
  const interval = 1000 / point.rate!;
  const inFlight = new Set<Promise<number>>();
  for (;;) {
    if (control.stopped) break;
    const index = control.claim();
    if (index >= point.requests) break;
    const intended = control.t0 + (point.offsets ? point.offsets[index]! : index * interval);
    // Timers may fire early against the monotonic clock: wait until the intended time has come.
    for (let wait = intended - clock.now(); wait > 0; wait = intended - clock.now()) await (input.sleep ?? sleep)(wait);
    if (!(await control.acquireGlobal(point.concurrency))) break;
    const p = one(index, intended).finally(() => {
      control.released();
      inFlight.delete(p);
    });
    inFlight.add(p);
  }
  await Promise.all(inFlight);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.ceil(ms)));
}

const RUN_STOPPED: Outcome = { kind: 'aborted', message: 'run stopped' };

/** One request in flight: settled once, by its response, its deadline or the run stopping. */
class Pending implements Expiring {
  done = false;
  /** Set when the deadline passed: the backend's own outcome then only adds its connection facts. */
  timedOut: TimeoutOutcome | undefined;
  /** Whether this dispatcher aborted the controller (the only one that can): kept, as reading `signal.aborted` costs a validated getter per request. */
  aborted = false;
  /** Whether the backend has answered (a backend calling back twice is heard once). */
  answered = false;
  /** Whether the request's outcome has been given: the first of response, deadline and stop wins. */
  private given = false;
  constructor(
    readonly controller: AbortController,
    private readonly give: (outcome: Outcome) => void,
    readonly deadline: number,
  ) {}

  /** Gives the request's outcome, once: later calls (the backend's answer after the deadline's) are no-ops. */
  resolve(outcome: Outcome): void {
    if (this.given) return;
    this.given = true;
    this.give(outcome);
  }
}

/**
 * Sends requests with a whole-request deadline, kept by one sweep timer per thread rather than one
 * timer per request (`DeadlineQueue`). A request resolves as `timeout` at its deadline (within one
 * sweep interval) and as `aborted` when the run stops (in any thread), even if the backend ignores
 * its signal; a backend that throws is mapped to an outcome.
 *
 * Abort signals are reused: creating an `AbortSignal` costs more CPU than the rest of the engine's
 * work for a request, so a controller whose request ended without aborting it goes back to a spare
 * list for the next request. One signal thus serves consecutive requests (never two at once), and
 * is aborted only for the request it is serving then; an aborted one is never handed out again.
 */
class Dispatcher {
  private readonly deadlines: DeadlineQueue<Pending>;
  private readonly spare: AbortController[] = [];
  private closed = false;

  constructor(
    private readonly control: Control,
    clock: Clock,
    timeoutMs: number,
  ) {
    const message = `no response within ${timeoutMs} ms`;
    this.deadlines = new DeadlineQueue(clock, timeoutMs, (entry) => {
      const timeout: TimeoutOutcome = { kind: 'timeout', phase: 'total', message };
      entry.timedOut = timeout;
      entry.aborted = true;
      entry.controller.abort(new DOMException(message, 'TimeoutError'));
      // A backend settles on the abort, usually at once: its outcome says whether the request was sent
      // twice (a resend on a fresh connection the server counted). The timeout stands a turn later
      // whatever the backend does, so one that ignores its signal cannot hold the request.
      setImmediate(() => entry.resolve(timeout));
    });
    void control.whenStopped().then(() => {
      if (this.closed) return;
      for (const entry of this.deadlines.pending()) {
        entry.aborted = true;
        entry.controller.abort(new DOMException('run stopped', 'AbortError'));
        this.finish(entry, RUN_STOPPED);
      }
    });
  }

  close(): void {
    this.closed = true;
    this.deadlines.close();
  }

  /** Sends `request`, whose deadline runs from `start` (clock ms); `done` is called once, with its outcome. */
  dispatch(backend: Backend, request: BenchRequest, start: number, done: (outcome: Outcome) => void): void {
    if (this.control.stopped) {
      done(RUN_STOPPED);
      return;
    }
    const controller = this.spare.pop() ?? new AbortController();
    const entry = new Pending(controller, done, start + this.deadlines.timeoutMs);
    this.deadlines.add(entry);
    try {
      const callback = dispatchOf(backend.send);
      if (callback) callback(request, controller.signal, (outcome) => this.ended(entry, outcome));
      else
        backend.send(request, controller.signal).then(
          (outcome) => this.ended(entry, outcome),
          (error: unknown) => this.ended(entry, outcomeFromError(error)),
        );
    } catch (error) {
      this.ended(entry, outcomeFromError(error));
    }
  }

  /** The backend's answer: the request's outcome unless its deadline or the run's stop came first. */
  private ended(entry: Pending, outcome: Outcome): void {
    if (entry.answered) return;
    entry.answered = true;
    const timeout = entry.timedOut;
    if (timeout === undefined) this.finish(entry, outcome);
    else entry.resolve(withConnectionFacts(timeout, outcome.resent, outcome.noReuse));
    // Once the backend is done with it, a signal nobody aborted serves the next request.
    if (!entry.aborted) this.spare.push(entry.controller);
  }

  private finish(entry: Pending, outcome: Outcome): void {
    if (this.deadlines.settle(entry)) entry.resolve(outcome);
  }
}
