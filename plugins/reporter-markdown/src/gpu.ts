import type { ExperimentResult } from '@llmbench/plugin-api';
import { gpuSummary, type GpuSummary } from '@llmbench/collector-gpu';
import { formatCount, formatPercent, formatValue, MISSING } from '@llmbench/plugin-api/format';

/** "30,512 / 31,024 of 81,920 MiB": average / peak memory used. */
function memoryCell(g: GpuSummary | null): string {
  const mem = g?.memory;
  if (!mem) return MISSING;
  if (!mem.unit) return `${formatValue(mem.avg)} / ${formatValue(mem.peak)}`;
  return `${formatCount(mem.avg)} / ${formatCount(mem.peak)}${mem.totalMb === undefined ? '' : ` of ${formatCount(mem.totalMb)}`} ${mem.unit}`;
}

function utilizationCell(g: GpuSummary | null): string {
  return g?.utilization ? `${formatPercent(g.utilization.avg / 100)} / ${formatPercent(g.utilization.peak / 100)}` : MISSING;
}

/**
 * The summary table's GPU rows, "GPU memory (avg / peak)" and "GPU utilization (avg / peak)", for
 * experiments whose collectors read a GPU; with their definition keys. No winner: less memory is
 * not better or worse by itself.
 */
export function gpuRows(experiments: readonly ExperimentResult[]): {
  rows: string[][];
  used: ('gpu_memory' | 'gpu_utilization')[];
} {
  const g = experiments.map((e) => gpuSummary(e.summary.collectors));
  const winner = experiments.length > 1 ? [MISSING] : [];
  const rows: string[][] = [];
  const used: ('gpu_memory' | 'gpu_utilization')[] = [];
  if (g.some((x) => x?.memory)) {
    used.push('gpu_memory');
    rows.push(['**GPU memory (avg / peak)**', ...g.map(memoryCell), ...winner]);
  }
  if (g.some((x) => x?.utilization)) {
    used.push('gpu_utilization');
    rows.push(['**GPU utilization (avg / peak)**', ...g.map(utilizationCell), ...winner]);
  }
  return { rows, used };
}
