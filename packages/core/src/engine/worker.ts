import { ErrorCodes, isLlmbenchError, type Backend, type BackendPlugin, type Logger } from '@llmbench/plugin-api';
import { encodeHistogram } from '../metrics/histogram.js';
import { Tally } from '../metrics/tally.js';
import { monotonicClock } from './clock.js';
import { Control } from './control.js';
import { runShare } from './partition.js';
import type { MessagePort } from 'node:worker_threads';
import {
  serverTarget,
  type ErrorReply,
  type ProgressMessage,
  type RunReply,
  type WorkerSession,
  type WorkerTask,
} from './protocol.js';

/** Backends of each open session in this thread. */
const sessions = new Map<string, Promise<Backend[]>>();

/** Where plugins' log lines go: the running task's port, to the main thread's logger. */
let logPort: MessagePort | undefined;

function log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
  if (logPort) logPort.postMessage({ kind: 'log', level, message } satisfies ProgressMessage);
  else if (level !== 'debug') console.error(level === 'info' ? message : `${level}: ${message}`);
}

const logger: Logger = {
  debug: (m) => log('debug', m),
  info: (m) => log('info', m),
  warn: (m) => log('warn', m),
  error: (m) => log('error', m),
};

/** Piscina task entry: runs one thread's partition of a load point, or closes a session. */
export default async function task(t: WorkerTask): Promise<RunReply | ErrorReply | null> {
  try {
    return t.kind === 'close' ? await close(t.session, new Control(t.control, t.shape)) : await run(t);
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    return {
      error: {
        code: isLlmbenchError(error) ? error.code : ErrorCodes.PLUGIN_FAILED,
        message: error instanceof Error ? error.message : String(error),
        ...(isLlmbenchError(error) && error.hint !== undefined ? { hint: error.hint } : {}),
        ...(cause === undefined ? {} : { cause: cause instanceof Error ? (cause.stack ?? cause.message) : String(cause) }),
      },
    };
  }
}

async function run(t: Extract<WorkerTask, { kind: 'run' }>): Promise<RunReply> {
  const control = new Control(t.control, t.shape);
  logPort = t.progress;
  try {
    return await runOpened(t, control);
  } finally {
    logPort = undefined;
    // Messages on one port arrive in order: once the main thread reads this, it has every log line.
    t.progress?.postMessage({ kind: 'end' } satisfies ProgressMessage);
    t.progress?.close();
  }
}

async function runOpened(t: Extract<WorkerTask, { kind: 'run' }>, control: Control): Promise<RunReply> {
  let backends: Backend[];
  try {
    backends = await open(t.session);
  } catch (error) {
    control.stop();
    throw error;
  }
  const tally = new Tally(backends.length, t.session.slo);
  // A snapshot costs about a millisecond to encode: sent only when something was measured since the last.
  let sent = -1;
  const ticker =
    t.progress && t.progressIntervalMs > 0
      ? setInterval(() => {
          const latency = tally.latency();
          if (latency.totalCount === sent) return;
          sent = latency.totalCount;
          t.progress!.postMessage({
            kind: 'progress',
            partition: t.partition,
            latency: encodeHistogram(latency),
          } satisfies ProgressMessage);
        }, t.progressIntervalMs)
      : undefined;
  try {
    return await runShare({
      control,
      point: t.point,
      lanes: t.lanes,
      servers: backends.map((backend, i) => ({ id: t.session.servers[i]!.id, backend, cap: t.session.servers[i]!.cap })),
      balancer: t.balancer,
      workload: t.session.workload,
      record: t.record,
      thread: t.partition,
      tally,
      ...(t.raw ? { raw: t.raw } : {}),
    });
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

function open(session: WorkerSession): Promise<Backend[]> {
  let backends = sessions.get(session.id);
  if (!backends) {
    backends = createBackends(session);
    sessions.set(session.id, backends);
  }
  return backends;
}

async function createBackends(session: WorkerSession): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const server of session.servers) {
    const plugin = ((await import(server.moduleUrl)) as { default: BackendPlugin }).default;
    const options = plugin.options.parse(server.rawOptions);
    const backend = await plugin.create(
      {
        logger,
        clock: monotonicClock,
        scenarioDir: session.scenarioDir,
        seed: session.seed,
        server: serverTarget(server),
      },
      options,
    );
    await backend.setup?.();
    out.push(backend);
  }
  return out;
}

async function close(id: string, control: Control): Promise<null> {
  // Every thread takes exactly one close task: each waits here until all have arrived.
  await control.arrive(monotonicClock.now);
  const backends = sessions.get(id);
  sessions.delete(id);
  if (backends) for (const b of await backends) await b.teardown?.();
  return null;
}
