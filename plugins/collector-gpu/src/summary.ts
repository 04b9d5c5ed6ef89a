import type { MetricSummary } from '@llmbench/plugin-api';
import { GPU_METRICS } from './parse.js';

/** What reports show of a run's GPU: average and peak over its samples. */
export interface GpuSummary {
  /** Memory used; `totalMb` and the MiB unit only for this collector's readings. */
  readonly memory?: { readonly avg: number; readonly peak: number; readonly totalMb?: number; readonly unit?: 'MiB' };
  /** Utilization in percent (0-100). */
  readonly utilization?: { readonly avg: number; readonly peak: number };
}

type Collected = Readonly<Record<string, Readonly<Record<string, MetricSummary>>>>;

/**
 * The GPU readings of an experiment's `summary.collectors`: the first collector with
 * `gpu_memory_used_mb` / `gpu_utilization_pct` (this collector's names, which any collector may
 * use), else, for memory, the first metric of another collector with "gpu" and "mem" in its name
 * (unit unknown). Null when there is none.
 */
export function gpuSummary(collectors: Collected): GpuSummary | null {
  const series = Object.values(collectors);
  const find = (name: string) => series.find((m) => m[name] !== undefined);
  const mem = find(GPU_METRICS.memoryUsed);
  const util = find(GPU_METRICS.utilization);
  let memory: GpuSummary['memory'];
  if (mem) {
    const used = mem[GPU_METRICS.memoryUsed]!;
    const total = mem[GPU_METRICS.memoryTotal];
    memory = { avg: used.avg, peak: used.max, unit: 'MiB', ...(total ? { totalMb: total.max } : {}) };
  } else {
    for (const m of series) {
      const other = Object.entries(m).find(([name]) => /gpu/i.test(name) && /mem/i.test(name) && !/total/i.test(name));
      if (other) {
        memory = { avg: other[1].avg, peak: other[1].max };
        break;
      }
    }
  }
  const u = util?.[GPU_METRICS.utilization];
  if (!memory && !u) return null;
  return { ...(memory ? { memory } : {}), ...(u ? { utilization: { avg: u.avg, peak: u.max } } : {}) };
}
