import type { SummaryStats } from '@llmbench/plugin-api';
import { formatCount, formatPercent, formatValue } from '@llmbench/plugin-api/format';
import { gpuSummary } from '@llmbench/collector-gpu';

/** "GPU memory: avg 30,512 / peak 31,024 of 81,920 MiB", "GPU utilization: avg 61.3% / peak 97.0%" (last run's samples). */
export function gpuLines(s: SummaryStats): string[] {
  const g = gpuSummary(s.collectors);
  if (!g) return [];
  const lines: string[] = [];
  if (g.memory) {
    const n = g.memory.unit ? formatCount : formatValue;
    const of = g.memory.totalMb === undefined ? '' : ` of ${n(g.memory.totalMb)}`;
    lines.push(`  GPU memory: avg ${n(g.memory.avg)} / peak ${n(g.memory.peak)}${of}${g.memory.unit ? ` ${g.memory.unit}` : ''}`);
  }
  if (g.utilization)
    lines.push(
      `  GPU utilization: avg ${formatPercent(g.utilization.avg / 100)} / peak ${formatPercent(g.utilization.peak / 100)}`,
    );
  return lines;
}
