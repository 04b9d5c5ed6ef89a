import type { Backend } from '@llmbench/plugin-api';
import { Balancer, DEFAULT_BALANCER, type BalancerOptions } from '../engine/balancer.js';
import { Control } from '../engine/control.js';
import { runPartition, type PartitionInput } from '../engine/partition.js';
import type { VirtualTime } from './virtual-time.js';

export interface VirtualRun extends Partial<Pick<PartitionInput, 'tally' | 'conversations'>> {
  /** Each server's backend and its cap on requests in flight (no cap when absent). */
  readonly servers: readonly { readonly backend: Backend; readonly cap?: number }[];
  readonly point: { readonly concurrency: number; readonly requests: number; readonly barrier?: boolean; readonly rate?: number };
  readonly request: PartitionInput['request'];
  /** Stops the run when it aborts. */
  readonly signal?: AbortSignal;
  readonly balancer?: Partial<BalancerOptions>;
}

/**
 * Runs a point in this thread on virtual time, as the engine does for main-placed backends: one
 * partition with every lane, a 60 s request timeout, every request measured.
 */
export async function runOnVirtualTime(time: VirtualTime, run: VirtualRun) {
  const barrier = run.point.barrier ?? false;
  const control = Control.create({ batches: barrier ? Math.ceil(run.point.requests / run.point.concurrency) : 0, parties: 1 });
  const balancer = Balancer.create(
    run.servers.map((s) => s.cap ?? Infinity),
    { ...DEFAULT_BALANCER, ...run.balancer },
    control,
    { health: () => time.now(), busy: () => time.now() },
  );
  run.signal?.addEventListener('abort', () => control.stop());
  await control.arrive(() => time.now());
  const result = await time
    .run(
      runPartition({
        point: { ...run.point, barrier },
        lanes: { start: 0, count: run.point.concurrency },
        servers: run.servers,
        balancer,
        request: run.request,
        clock: time,
        sleep: (ms) => time.sleep(ms),
        control,
        timeoutMs: 60_000,
        cursor: 0,
        record: true,
        ...(run.tally === undefined ? {} : { tally: run.tally }),
        ...(run.conversations === undefined ? {} : { conversations: run.conversations }),
      }),
    )
    .finally(() => control.stop());
  return { ...result, control, balancer, wallMs: result.lastEnd - control.t0 };
}
