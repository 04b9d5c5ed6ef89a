import { ErrorCodes, isLlmbenchError, type Backend, type BackendPlugin, type Logger } from '@llmbench/plugin-api';
import { encodeHistogram } from '../metrics/histogram.js';
import { Tally } from '../metrics/tally.js';
import { monotonicClock } from './clock.js';
import { Control } from './control.js';
import { runShare } from './partition.js';
import { serverTarget, type ErrorReply, type RunReply, type WorkerSession, type WorkerTask } from './protocol.js';

/** Backends of each open session in this thread. */
const sessions = new Map<string, Promise<Backend[]>>();

const logger: Logger = {
  debug() {},
  info: (m) => console.error(m),
  warn: (m) => console.error(`warning: ${m}`),
  error: (m) => console.error(`error: ${m}`),
};

/** Piscina task entry: runs one thread's partition of a load point, or closes a session. */
export default async function task(t: WorkerTask): Promise<RunReply | ErrorReply | null> {
  try {
    return t.kind === 'close' ? await close(t.session, new Control(t.control, t.shape)) : await run(t);
  } catch (error) {
    return {
      error: {
        code: isLlmbenchError(error) ? error.code : ErrorCodes.PLUGIN_FAILED,
        message: error instanceof Error ? error.message : String(error),
      },
    };
  }
}

async function run(t: Extract<WorkerTask, { kind: 'run' }>): Promise<RunReply> {
  const control = new Control(t.control, t.shape);
  let backends: Backend[];
  try {
    backends = await open(t.session);
  } catch (error) {
    control.stop();
    throw error;
  }
  const tally = new Tally(backends.length, t.session.slo);
  const ticker = t.progress
    ? setInterval(() => t.progress!.postMessage({ partition: t.partition, latency: encodeHistogram(tally.latency()) }), t.progressIntervalMs)
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
    t.progress?.close();
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

