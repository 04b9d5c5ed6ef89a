// Over 400 lines on purpose: the engine's session (backends, worker pool, one point's run, progress,
// the merge of the threads' tallies) is one lifecycle, and its steps share the session's state.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import {
  ErrorCodes,
  hashString,
  isLlmbenchError,
  LlmbenchError,
  type Arrivals,
  type Backend,
  type Collector,
  type Logger,
  type PluginContext,
} from '@llmbench/plugin-api';
import { RUN_DEFAULTS } from '../defaults.js';
import { arrivalOffsets } from './arrivals.js';
import { createHistogram, decodeHistogram, type Histogram } from '../metrics/histogram.js';
import { Tally } from '../metrics/tally.js';
import type { SloLimits } from '../metrics/slo.js';
import type { ResolvedServer, ResolvedWorkload } from '../scenario/load.js';
import { Balancer, BALANCER_CLOCKS, DEFAULT_BALANCER, type BalancerOptions } from './balancer.js';
import { Control, type ControlShape } from './control.js';
import { runShare, type PartitionPoint } from './partition.js';
import { serverTarget, type ErrorReply, type ProgressMessage, type RunReply, type WorkerTask } from './protocol.js';

/**
 * Default worker threads. On 2 cores the server under test (or the OS) needs the other core, and
 * one thread drives loopback load faster than two (docs/performance.md); above that, half the cores.
 */
export function defaultThreads(cores = availableParallelism()): number {
  return cores <= 2 ? 1 : Math.min(8, Math.floor(cores / 2));
}

export interface EnginePoint {
  readonly concurrency: number;
  readonly barrier: boolean;
  readonly requests: number;
  readonly rate?: number;
  readonly arrivals?: Arrivals;
  /** Gamma arrivals: the gaps' shape (default 1). */
  readonly burstiness?: number;
}

export interface EngineResult {
  /** Merged over every thread; in-flight maxima are the global ones. */
  readonly tally: Tally;
  readonly wallMs: number;
  readonly barrier?: { readonly batches: number; readonly idleSlotMs: number };
}

export interface LiveProgress {
  readonly done: number;
  readonly failures: number;
  /** Successful latencies so far (microseconds), merged from the latest thread snapshots; read it, do not change it. */
  readonly latency: Histogram;
}

export interface EngineConfig {
  /** Worker threads for backends that run in workers. */
  readonly threads: number;
  readonly logger: Logger;
  /** Longest time between a worker's progress messages (ms, default `RUN_DEFAULTS.workerProgressIntervalMs`). */
  readonly progressIntervalMs?: number;
}

const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/engine/worker.js', import.meta.url) // running from sources (tests): use the build
  : new URL('./worker.js', import.meta.url);

/**
 * The load engine: the main thread plans, merges and reports; requests are sent from a fixed pool
 * of Piscina worker threads (or, for backends placed in the main thread, from the main thread).
 */
export class LoadEngine {
  private pool: Piscina | undefined;
  private sessions = 0;

  constructor(readonly config: EngineConfig) {
    if (!Number.isInteger(config.threads) || config.threads < 1) {
      throw new LlmbenchError(ErrorCodes.USAGE, `threads must be a whole number >= 1, got ${config.threads}`);
    }
  }

  /** Creates and sets up one backend per server (in this thread, for server metrics and main-placed sending). */
  async open(spec: SessionSpec): Promise<EngineSession> {
    const backends: Backend[] = [];
    const session = new EngineSession(this, `s${++this.sessions}`, spec, backends);
    try {
      for (const server of spec.servers) {
        const backend = await guard(`backend ${server.backend.resolved.ref} (${server.id})`, ErrorCodes.PLUGIN_FAILED, () =>
          server.backend.resolved.plugin.create(
            {
              ...spec.base,
              server: serverTarget({ ...server, cap: server.maxConcurrentRequests }),
            },
            server.backend.options,
          ),
        );
        backends.push(backend);
        await guard(`server ${server.id} setup`, ErrorCodes.BACKEND_UNREACHABLE, () => backend.setup?.());
      }
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  /** The worker pool, started on first use with a fixed number of threads. */
  workers(): Piscina {
    this.pool ??= new Piscina({
      filename: fileURLToPath(WORKER_URL),
      minThreads: this.config.threads,
      maxThreads: this.config.threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      // Workers keep sockets open and wait with Atomics.waitAsync: Piscina must not block them.
      atomics: 'disabled',
      closeTimeout: 5_000,
      // Workers load the built JavaScript: drop resolution conditions a test runner may have set.
      execArgv: withoutConditions(process.execArgv),
    });
    return this.pool;
  }

  /** Stops the worker threads, waiting at most 5 s for them. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close({ force: true });
  }
}

export interface SessionSpec {
  readonly servers: readonly ResolvedServer[];
  readonly workload: ResolvedWorkload;
  readonly base: PluginContext;
  readonly experiment: string;
  /** How requests are spread over the servers (default: latency-aware). */
  readonly balancer?: BalancerOptions;
  /** Per-request SLO limits each measured request is checked against (goodput). */
  readonly slo?: SloLimits;
}

export class EngineSession {
  readonly runsInMain: boolean;
  /** The run going on: each thread's latest latency snapshot, as sent (encoded) until someone reads it. */
  private live: { control: Control; snapshots: Map<number, Histogram | string>; mainTally?: Tally } | undefined;

  constructor(
    private readonly engine: LoadEngine,
    readonly id: string,
    private readonly spec: SessionSpec,
    private readonly backends: Backend[],
  ) {
    this.runsInMain = spec.servers.some((s) => s.backend.resolved.plugin.placement === 'main');
  }

  /** Runs the point once; `record: false` is warmup (sent, not measured). Stops early when `signal` aborts. */
  async run(options: {
    point: EnginePoint;
    record: boolean;
    signal: AbortSignal;
    run: number;
    rawPath?: string;
    /** Whether anyone reads `progress()` during the run (default true); if not, threads send no snapshots. */
    progress?: boolean;
  }): Promise<EngineResult> {
    const { point } = options;
    const parties = this.runsInMain ? 1 : this.engine.config.threads;
    const batches = point.barrier ? Math.ceil(point.requests / point.concurrency) : 0;
    const shape: ControlShape = { batches, parties };
    const control = Control.create(shape);
    const balancer = Balancer.create(
      this.spec.servers.map((s) => s.maxConcurrentRequests),
      this.spec.balancer ?? DEFAULT_BALANCER,
      control,
      BALANCER_CLOCKS,
    );
    const stop = () => control.stop();
    options.signal.addEventListener('abort', stop, { once: true });
    if (options.signal.aborted) control.stop();
    const partitionPoint: PartitionPoint = {
      concurrency: point.concurrency,
      barrier: point.barrier,
      requests: point.requests,
      ...(point.rate === undefined ? {} : { rate: point.rate }),
      ...(point.rate !== undefined && (point.arrivals === 'poisson' || point.arrivals === 'gamma')
        ? {
            offsets: arrivalOffsets(
              point.requests,
              point.rate,
              point.arrivals === 'gamma' ? (point.burstiness ?? 1) : 1,
              this.spec.base.seed ^ hashString(this.spec.experiment),
            ),
          }
        : {}),
    };
    this.live = { control, snapshots: new Map() };
    try {
      const replies = this.runsInMain
        ? [await this.runHere(control, balancer, partitionPoint, options)]
        : await this.runInWorkers(control, balancer, shape, partitionPoint, options);
      // One thread's tally is the run's as it is; several are added up.
      const tally = replies.length === 1 ? Tally.deserialize(replies[0]!.tally) : new Tally(this.spec.servers.length);
      let idleSlotMs = 0;
      let lastEnd = control.t0;
      for (const reply of replies) {
        if (replies.length > 1) tally.merge(Tally.deserialize(reply.tally));
        idleSlotMs += reply.idleSlotMs;
        if (reply.lastEnd > lastEnd) lastEnd = reply.lastEnd;
      }
      tally.maxInFlight = control.maxInFlight;
      tally.servers.forEach((s, i) => {
        s.maxInFlight = balancer.maxInFlight(i);
        s.busyMs = balancer.busyMs(i, lastEnd - control.t0);
        s.ejections = balancer.ejections(i);
      });
      return {
        tally,
        wallMs: Math.max(0, lastEnd - control.t0),
        ...(point.barrier ? { barrier: { batches: control.completedBatches, idleSlotMs } } : {}),
      };
    } finally {
      options.signal.removeEventListener('abort', stop);
      control.stop(); // releases anything still waiting on this control block
    }
  }

  /** Requests ended so far in the current run, and latencies measured so far. */
  progress(): LiveProgress | undefined {
    if (!this.live) return undefined;
    const { snapshots, mainTally, control } = this.live;
    for (const [partition, h] of snapshots) if (typeof h === 'string') snapshots.set(partition, decodeHistogram(h));
    let latency: Histogram;
    if (!mainTally && snapshots.size === 1) latency = snapshots.values().next().value as Histogram;
    else {
      latency = createHistogram();
      if (mainTally) latency.add(mainTally.latency());
      for (const h of snapshots.values()) latency.add(h as Histogram);
    }
    return { done: control.done, failures: control.failures, latency };
  }

  /** Lets each server's backend reset the server's state before the point (`Backend.prepare`). */
  async prepare(): Promise<void> {
    for (const [i, backend] of this.backends.entries()) {
      try {
        await backend.prepare?.();
      } catch (error) {
        throw new LlmbenchError(
          ErrorCodes.PLUGIN_FAILED,
          `server ${this.spec.servers[i]!.id}: preparing the server failed: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
  }

  /**
   * Each server's readings as a collector, for sampling during a run (servers whose backend reports
   * no readings are left out). Named `server:<id>` in results.
   */
  serverSamplers(intervalMs: number): { name: string; collector: Collector; intervalMs: number }[] {
    return this.backends.flatMap((b, i) =>
      b.serverMetrics
        ? [{ name: `server:${this.spec.servers[i]!.id}`, collector: { sample: () => b.serverMetrics!() }, intervalMs }]
        : [],
    );
  }

  async close(): Promise<void> {
    const errors: unknown[] = [];
    if (!this.runsInMain && this.live) {
      const shape: ControlShape = { batches: 0, parties: this.engine.config.threads };
      const control = Control.create(shape);
      const pool = this.engine.workers();
      const replies = await Promise.allSettled(
        Array.from({ length: shape.parties }, () =>
          pool.run({ kind: 'close', session: this.id, control: control.buffer, shape } satisfies WorkerTask),
        ),
      );
      for (const r of replies) if (r.status === 'rejected') errors.push(r.reason);
    }
    for (const [i, backend] of this.backends.entries()) {
      try {
        await backend.teardown?.();
      } catch (error) {
        errors.push(
          new LlmbenchError(
            ErrorCodes.PLUGIN_FAILED,
            `server ${this.spec.servers[i]!.id} teardown failed: ${(error as Error).message}`,
            { cause: error },
          ),
        );
      }
    }
    if (errors.length) throw errors[0];
  }

  private async runHere(
    control: Control,
    balancer: Balancer,
    point: PartitionPoint,
    options: { record: boolean; run: number; rawPath?: string },
  ): Promise<RunReply> {
    const tally = new Tally(this.spec.servers.length, this.spec.slo);
    this.live!.mainTally = tally;
    return runShare({
      control,
      point,
      lanes: { start: 0, count: point.concurrency },
      servers: this.backends.map((backend, i) => ({
        id: this.spec.servers[i]!.id,
        backend,
        cap: this.spec.servers[i]!.maxConcurrentRequests,
      })),
      balancer: { buffer: balancer.buffer, options: balancer.options },
      workload: this.spec.workload,
      record: options.record,
      thread: 0,
      tally,
      ...(options.rawPath ? { raw: { path: options.rawPath, experiment: this.spec.experiment, run: options.run } } : {}),
    });
  }

  private async runInWorkers(
    control: Control,
    balancer: Balancer,
    shape: ControlShape,
    point: PartitionPoint,
    options: { record: boolean; run: number; rawPath?: string; progress?: boolean },
  ): Promise<RunReply[]> {
    const pool = this.engine.workers();
    const parties = shape.parties;
    const session = {
      id: this.id,
      servers: this.spec.servers.map((s) => ({
        id: s.id,
        ...(s.url === undefined ? {} : { url: s.url }),
        ...(s.model === undefined ? {} : { model: s.model }),
        cap: s.maxConcurrentRequests,
        moduleUrl: s.backend.resolved.moduleUrl,
        rawOptions: s.backend.rawOptions,
      })),
      workload: this.spec.workload,
      scenarioDir: this.spec.base.scenarioDir,
      seed: this.spec.base.seed,
      ...(this.spec.slo ? { slo: this.spec.slo } : {}),
    };
    let laneStart = 0;
    const tasks = Array.from({ length: parties }, (_, p) => {
      const count = Math.floor(point.concurrency / parties) + (p < point.concurrency % parties ? 1 : 0);
      const lanes = { start: laneStart, count };
      laneStart += count;
      const channel = new MessageChannel();
      let ended: () => void = () => undefined;
      const drained = new Promise<void>((resolve) => {
        ended = resolve;
      });
      channel.port1.on('message', (m: ProgressMessage) => {
        if (m.kind === 'log') this.engine.config.logger[m.level](m.message);
        else if (m.kind === 'end') ended();
        else this.live?.snapshots.set(m.partition, m.latency);
      });
      channel.port1.unref();
      const task: WorkerTask = {
        kind: 'run',
        session,
        partition: p,
        point,
        lanes,
        control: control.buffer,
        shape,
        balancer: { buffer: balancer.buffer, options: balancer.options },
        record: options.record,
        ...(options.rawPath && options.record
          ? { raw: { path: options.rawPath, experiment: this.spec.experiment, run: options.run } }
          : {}),
        progress: channel.port2,
        progressIntervalMs:
          options.progress === false ? 0 : (this.engine.config.progressIntervalMs ?? RUN_DEFAULTS.workerProgressIntervalMs),
      };
      return pool
        .run(task, { transferList: [channel.port2] })
        .catch((error: unknown) => {
          control.stop();
          throw new LlmbenchError(ErrorCodes.INTERNAL, `worker thread failed: ${(error as Error).message}`, { cause: error });
        })
        .finally(() => drainThenClose(channel.port1, drained)) as Promise<RunReply | ErrorReply>;
    });
    const replies = await Promise.all(tasks);
    const failed = replies.filter((r): r is ErrorReply => 'error' in r);
    if (failed.length > 0) throw threadErrors(failed);
    return replies as RunReply[];
  }
}

/**
 * The failures of several worker threads as one error: each thread's code, message, hint and cause
 * kept; the same failure in every thread said once, different ones all said (an AggregateError cause).
 */
function threadErrors(failed: readonly ErrorReply[]): LlmbenchError {
  const distinct = new Map<string, ErrorReply['error']>();
  for (const { error } of failed)
    if (!distinct.has(`${error.code}:${error.message}`)) distinct.set(`${error.code}:${error.message}`, error);
  const errors = [...distinct.values()].map((e) => {
    const cause = e.cause === undefined ? undefined : Object.assign(new Error(e.cause.split('\n')[0]), { stack: e.cause });
    return new LlmbenchError(e.code as LlmbenchError['code'], e.message, {
      ...(e.hint === undefined ? {} : { hint: e.hint }),
      ...(cause ? { cause } : {}),
    });
  });
  if (errors.length === 1) return errors[0]!;
  const first = errors[0]!;
  return new LlmbenchError(
    first.code,
    `${errors.length} different failures in worker threads: ${errors.map((e) => e.message).join('; ')}`,
    {
      ...(first.hint === undefined ? {} : { hint: first.hint }),
      cause: new AggregateError(errors, `${errors.length} worker thread failures`),
    },
  );
}

function withoutConditions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--conditions' || arg === '-C') i++;
    else if (!arg.startsWith('--conditions=') && !arg.startsWith('-C=')) out.push(arg);
  }
  return out;
}

/** Runs a plugin hook, turning anything it throws into an LlmbenchError that names the plugin. */
export async function guard<T>(what: string, code: LlmbenchError['code'], fn: () => T | PromiseLike<T>): Promise<Awaited<T>> {
  try {
    return await fn();
  } catch (error) {
    if (isLlmbenchError(error)) throw error;
    throw new LlmbenchError(code, `${what} failed: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The task's reply and its port's messages travel apart: a worker's last log lines (say, a warning
 * just before its error) may still be queued when the reply arrives. Waits for the worker's `end`
 * message, at most a second (a thread that died sends none), then closes the port.
 */
async function drainThenClose(port: MessagePort, drained: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, 1000);
    timer.unref();
  });
  await Promise.race([drained, bound]);
  clearTimeout(timer);
  port.close();
}
