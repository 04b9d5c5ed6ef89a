import type { MetricReadings } from '@llmbench/plugin-api';

/** One GPU's reading; a field the source could not give (nvidia-smi's "[N/A]") is absent. */
export interface GpuReading {
  readonly index: number;
  readonly memoryUsedMb?: number;
  readonly memoryTotalMb?: number;
  readonly utilizationPct?: number;
}

/** The fields asked of nvidia-smi, in the order `parseNvidiaSmi` reads them. */
export const NVIDIA_SMI_QUERY = ['index', 'memory.used', 'memory.total', 'utilization.gpu'] as const;

export const NVIDIA_SMI_ARGS: readonly string[] = [`--query-gpu=${NVIDIA_SMI_QUERY.join(',')}`, '--format=csv,noheader,nounits'];

/** "81920" -> 81920; "[N/A]", "[Not Supported]", "N/A" or anything else not a number -> undefined. */
function field(text: string | undefined): number | undefined {
  const t = text?.trim() ?? '';
  if (t === '' || !/^-?\d+(\.\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/**
 * Reads `nvidia-smi --query-gpu=index,memory.used,memory.total,utilization.gpu
 * --format=csv,noheader,nounits`: one line per GPU, e.g. `0, 1234, 81920, 45` (MiB, MiB, %).
 * Lines whose index is not a number (a message such as "No devices were found") are skipped.
 */
export function parseNvidiaSmi(stdout: string): GpuReading[] {
  const out: GpuReading[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const cells = line.split(',');
    const index = field(cells[0]);
    if (cells.length !== NVIDIA_SMI_QUERY.length || index === undefined || !Number.isInteger(index)) continue;
    const used = field(cells[1]);
    const total = field(cells[2]);
    const util = field(cells[3]);
    out.push({
      index,
      ...(used === undefined ? {} : { memoryUsedMb: used }),
      ...(total === undefined ? {} : { memoryTotalMb: total }),
      ...(util === undefined ? {} : { utilizationPct: util }),
    });
  }
  return out;
}

/** The dcgm-exporter series read (etc/default-counters.csv): framebuffer MiB and utilization %. */
export const DCGM_METRICS = {
  used: 'DCGM_FI_DEV_FB_USED',
  free: 'DCGM_FI_DEV_FB_FREE',
  util: 'DCGM_FI_DEV_GPU_UTIL',
} as const;

/**
 * Reads a DCGM exporter's Prometheus text: per GPU (label `gpu="N"`), `DCGM_FI_DEV_FB_USED`,
 * `DCGM_FI_DEV_FB_FREE` (total = used + free, MiB) and `DCGM_FI_DEV_GPU_UTIL` (%). Other series,
 * comments and series without a `gpu` label are ignored.
 */
export function parseDcgm(text: string): GpuReading[] {
  const byGpu = new Map<number, { used?: number; free?: number; util?: number }>();
  const wanted = new Map<string, 'used' | 'free' | 'util'>(
    Object.entries(DCGM_METRICS).map(([k, v]) => [v, k as 'used' | 'free' | 'util']),
  );
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const close = line.lastIndexOf('}');
    if (brace < 0 || close < brace) continue;
    const key = wanted.get(line.slice(0, brace));
    if (!key) continue;
    const gpu = /(?:^|[{,\s])gpu="(\d+)"/.exec(line.slice(brace, close + 1));
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(/\s+/)[0],
    );
    if (!gpu || !Number.isFinite(value)) continue;
    const index = Number(gpu[1]);
    const entry = byGpu.get(index) ?? {};
    entry[key] = value;
    byGpu.set(index, entry);
  }
  return [...byGpu.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, m]) => ({
      index,
      ...(m.used === undefined ? {} : { memoryUsedMb: m.used }),
      ...(m.used === undefined || m.free === undefined ? {} : { memoryTotalMb: m.used + m.free }),
      ...(m.util === undefined ? {} : { utilizationPct: m.util }),
    }));
}

/** The readings' names: totals over the selected GPUs, and `gpu<N>_...` per GPU when there are several. */
export const GPU_METRICS = {
  memoryUsed: 'gpu_memory_used_mb',
  memoryTotal: 'gpu_memory_total_mb',
  utilization: 'gpu_utilization_pct',
} as const;

/**
 * Flat readings from the GPUs: memory summed, utilization averaged. A total is given only when
 * every GPU reported that field (a sum over some of them would look like the whole); with more
 * than one GPU each one's own fields are added as `gpu<N>_memory_used_mb` and so on.
 */
export function toReadings(gpus: readonly GpuReading[]): MetricReadings {
  if (gpus.length === 0) return {};
  const out: Record<string, number> = {};
  const all = (pick: (g: GpuReading) => number | undefined): number[] | undefined => {
    const values = gpus.map(pick);
    return values.every((v) => v !== undefined) ? (values as number[]) : undefined;
  };
  const used = all((g) => g.memoryUsedMb);
  const total = all((g) => g.memoryTotalMb);
  const util = all((g) => g.utilizationPct);
  if (used) out[GPU_METRICS.memoryUsed] = used.reduce((a, b) => a + b, 0);
  if (total) out[GPU_METRICS.memoryTotal] = total.reduce((a, b) => a + b, 0);
  if (util) out[GPU_METRICS.utilization] = util.reduce((a, b) => a + b, 0) / util.length;
  if (gpus.length > 1) {
    for (const g of gpus) {
      if (g.memoryUsedMb !== undefined) out[`gpu${g.index}_memory_used_mb`] = g.memoryUsedMb;
      if (g.memoryTotalMb !== undefined) out[`gpu${g.index}_memory_total_mb`] = g.memoryTotalMb;
      if (g.utilizationPct !== undefined) out[`gpu${g.index}_utilization_pct`] = g.utilizationPct;
    }
  }
  return out;
}
