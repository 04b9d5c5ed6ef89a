import { outcomeFromError, type Backend, type BenchRequest, type Clock, type Outcome } from '@llmbench/plugin-api';
import { Tally } from '../metrics/tally.js';
import { SlotPool } from './balancer.js';

export interface EngineServer {
  readonly backend: Backend;
  /** max_concurrent_requests, or Infinity. */
  readonly cap: number;
}

export interface EnginePoint {
  readonly concurrency: number;
  readonly barrier: boolean;
  readonly requests: number;
}

export interface EngineInput {
  readonly point: EnginePoint;
  readonly servers: readonly EngineServer[];
  readonly request: (index: number) => BenchRequest;
  readonly clock: Clock;
  /** Stops dispatching; requests in flight end as `aborted`. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
}

export interface BarrierMeasure {
  batches: number;
  /** Sum over requests of (batch end - request end), ms. */
  idleSlotMs: number;
}

export interface EngineResult {
  readonly tally: Tally;
  readonly wallMs: number;
  readonly barrier?: BarrierMeasure;
}

/** Live counters a progress reporter may read while the engine runs. */
export interface EngineProgress {
  done: number;
  failures: number;
}

/**
 * Executes one load point in this thread: a semaphore of `concurrency` lanes, or waves of
 * `concurrency` requests with a barrier between waves. Every request ends as exactly one outcome in
 * the tally; latency is measured from the moment a server slot was granted to the end of `send`.
 */
export async function executePoint(input: EngineInput, progress: EngineProgress = { done: 0, failures: 0 }): Promise<EngineResult> {
  const { point, servers, clock, signal } = input;
  const tally = new Tally(servers.length);
  const pool = new SlotPool(servers.map((s) => s.cap));
  const dispatcher = new Dispatcher(signal, input.timeoutMs);

  const one = async (index: number): Promise<number> => {
    const granted = pool.acquire();
    let server: number;
    let queuedMs = 0;
    if (typeof granted === 'number') server = granted;
    else {
      const queuedAt = clock.now();
      server = await granted;
      queuedMs = clock.now() - queuedAt;
    }
    const start = clock.now();
    tally.started(server, queuedMs);
    const outcome = await dispatcher.send(servers[server]!.backend, input.request(index));
    const end = clock.now();
    pool.release(server);
    if (outcome.kind === 'ok') tally.succeeded(server, end - start);
    else {
      tally.failed(server, outcome);
      progress.failures++;
    }
    progress.done++;
    return end;
  };

  const t0 = clock.now();
  let barrier: BarrierMeasure | undefined;
  try {
    if (point.barrier) {
      barrier = { batches: 0, idleSlotMs: 0 };
      for (let first = 0; first < point.requests && !signal.aborted; first += point.concurrency) {
        const size = Math.min(point.concurrency, point.requests - first);
        const ends = await Promise.all(Array.from({ length: size }, (_, k) => one(first + k)));
        let batchEnd = -Infinity;
        for (const e of ends) if (e > batchEnd) batchEnd = e;
        for (const e of ends) barrier.idleSlotMs += batchEnd - e;
        barrier.batches++;
      }
    } else {
      let next = 0;
      const lane = async (): Promise<void> => {
        while (!signal.aborted) {
          const index = next++;
          if (index >= point.requests) return;
          await one(index);
        }
      };
      await Promise.all(Array.from({ length: Math.min(point.concurrency, point.requests) }, lane));
    }
  } finally {
    dispatcher.close();
  }
  return { tally, wallMs: clock.now() - t0, ...(barrier ? { barrier } : {}) };
}

const RUN_STOPPED: Outcome = { kind: 'aborted', message: 'run stopped' };

interface Pending {
  readonly controller: AbortController;
  readonly finish: (outcome: Outcome) => void;
}

/**
 * Sends requests with a whole-request deadline. A request resolves as `timeout` at its deadline and
 * as `aborted` when the run stops, even if the backend ignores its signal; a backend that throws is
 * mapped to an outcome. One listener on the run signal serves every request in flight.
 */
class Dispatcher {
  private readonly pending = new Set<Pending>();

  constructor(private readonly runSignal: AbortSignal, private readonly timeoutMs: number) {
    runSignal.addEventListener('abort', this.stopAll, { once: true });
  }

  close(): void {
    this.runSignal.removeEventListener('abort', this.stopAll);
  }

  send(backend: Backend, request: BenchRequest): Promise<Outcome> {
    if (this.runSignal.aborted) return Promise.resolve(RUN_STOPPED);
    const controller = new AbortController();
    return new Promise<Outcome>((resolve) => {
      const entry: Pending = {
        controller,
        finish: (outcome) => {
          if (!this.pending.delete(entry)) return;
          clearTimeout(timer);
          resolve(outcome);
        },
      };
      this.pending.add(entry);
      const timer = setTimeout(() => {
        const message = `no response within ${this.timeoutMs} ms`;
        controller.abort(new DOMException(message, 'TimeoutError'));
        entry.finish({ kind: 'timeout', phase: 'total', message });
      }, this.timeoutMs);
      let result: Promise<Outcome>;
      try {
        result = backend.send(request, controller.signal);
      } catch (error) {
        entry.finish(outcomeFromError(error));
        return;
      }
      result.then(entry.finish, (error: unknown) => entry.finish(outcomeFromError(error)));
    });
  }

  private readonly stopAll = (): void => {
    for (const entry of [...this.pending]) {
      entry.controller.abort(new DOMException('run stopped', 'AbortError'));
      entry.finish(RUN_STOPPED);
    }
  };
}
