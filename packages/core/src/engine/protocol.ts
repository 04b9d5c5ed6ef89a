import type { MessagePort } from 'node:worker_threads';
import type { ServerTarget } from '@llmbench/plugin-api';
import type { ResolvedWorkload } from '../scenario/load.js';
import type { SerializedTally } from '../metrics/tally.js';
import type { SloLimits } from '../metrics/slo.js';
import type { BalancerOptions } from './balancer.js';
import type { ControlShape } from './control.js';
import type { PartitionPoint } from './partition.js';

/** A server as a worker needs it: plain data, so it crosses threads by structured clone. */
export interface WorkerServer {
  readonly id: string;
  readonly url?: string;
  readonly model?: string;
  readonly cap: number;
  readonly moduleUrl: string;
  /** Options as written; the worker validates them with the plugin's own schema. */
  readonly rawOptions: Record<string, unknown>;
}

/** The server a backend instance is told about, in the main thread or a worker alike. */
export function serverTarget(s: {
  readonly id: string;
  readonly url?: string;
  readonly model?: string;
  readonly cap: number;
}): ServerTarget {
  return {
    id: s.id,
    ...(s.url === undefined ? {} : { url: s.url }),
    ...(s.model === undefined ? {} : { model: s.model }),
    maxConcurrentRequests: s.cap,
  };
}

export interface WorkerSession {
  /** Identifies one point's backends; a thread creates them on first use and keeps them until `close`. */
  readonly id: string;
  readonly servers: readonly WorkerServer[];
  readonly workload: ResolvedWorkload;
  readonly scenarioDir: string;
  readonly seed: number;
  readonly slo?: SloLimits;
}

export interface RunTask {
  readonly kind: 'run';
  readonly session: WorkerSession;
  readonly partition: number;
  readonly point: PartitionPoint;
  readonly lanes: { readonly start: number; readonly count: number };
  readonly control: SharedArrayBuffer;
  readonly shape: ControlShape;
  readonly balancer: { readonly buffer: SharedArrayBuffer; readonly options: BalancerOptions };
  readonly record: boolean;
  readonly raw?: { readonly path: string; readonly experiment: string; readonly run: number };
  /** Progress snapshots go here while the run lasts. */
  readonly progress?: MessagePort;
  /** How often the thread sends a latency snapshot on `progress`; 0: never (nobody reads them). */
  readonly progressIntervalMs: number;
}

export interface CloseTask {
  readonly kind: 'close';
  readonly session: string;
  readonly control: SharedArrayBuffer;
  readonly shape: ControlShape;
}

export type WorkerTask = RunTask | CloseTask;

export interface RunReply {
  readonly tally: SerializedTally;
  readonly idleSlotMs: number;
  readonly lastEnd: number;
}

/** Errors cross threads as data so their code, hint and cause survive. */
export interface ErrorReply {
  readonly error: { readonly code: string; readonly message: string; readonly hint?: string; readonly cause?: string };
}

export type ProgressMessage =
  | {
      readonly kind: 'progress';
      readonly partition: number;
      /** The partition's successful-latency histogram so far (encoded). */
      readonly latency: string;
    }
  /** A plugin's log line in a worker, for the main thread's logger (which says repeated warnings once). */
  | { readonly kind: 'log'; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly message: string }
  /** The task's last message on its port: every log line before it has been delivered. */
  | { readonly kind: 'end' };
