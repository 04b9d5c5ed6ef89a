import type { DerivableMetric, DerivedMetric, MetricReadings, RunStats } from '@llmbench/plugin-api';
import { round } from '../metrics/stats.js';
import type { Tally } from '../metrics/tally.js';
import type { ResolvedServer } from '../scenario/load.js';

/**
 * Per derived metric, each reading it takes summed as deltas over a run (or over pooled runs), from
 * the servers whose backend declares the metric and reports every reading it takes at both ends.
 */
export type DerivedDeltas = Map<DerivableMetric, { readonly metric: DerivedMetric; readonly sums: Record<string, number> }>;

/** The deltas of one run from its servers' readings at its start and end. */
export function derivedDeltas(
  servers: readonly ResolvedServer[],
  before: readonly MetricReadings[],
  after: readonly MetricReadings[],
): DerivedDeltas {
  const out: DerivedDeltas = new Map();
  servers.forEach((server, i) => {
    const b = before[i]!;
    const a = after[i]!;
    for (const metric of server.backend.resolved.plugin.derivedMetrics ?? []) {
      if (metric.from.some((r) => b[r] === undefined || a[r] === undefined)) continue;
      const entry = out.get(metric.key) ?? { metric, sums: Object.fromEntries(metric.from.map((r) => [r, 0])) };
      for (const r of metric.from) entry.sums[r] = (entry.sums[r] ?? 0) + (a[r]! - b[r]!);
      out.set(metric.key, entry);
    }
  });
  return out;
}

/** Adds one run's deltas into `into` (the pooled runs'). */
export function addDeltas(into: DerivedDeltas, run: DerivedDeltas): void {
  for (const [key, { metric, sums }] of run) {
    const entry = into.get(key) ?? { metric, sums: {} };
    for (const [r, v] of Object.entries(sums)) entry.sums[r] = (entry.sums[r] ?? 0) + v;
    into.set(key, entry);
  }
}

/**
 * The prefix-cache hit rate of a run (or of pooled runs): derived from the servers' readings when
 * their backends declare it, else from the responses' usage (cached / prompt tokens) when any
 * response said how many prompt tokens were cached.
 */
export function derivedStats(
  deltas: DerivedDeltas,
  tally: Tally,
): Pick<RunStats, 'prefix_cache_hit_rate' | 'prefix_cache_source'> {
  const hitRate = deltas.get('prefix_cache_hit_rate');
  const fromServers = hitRate?.metric.derive(hitRate.sums);
  if (fromServers !== undefined) return { prefix_cache_hit_rate: round(fromServers, 6), prefix_cache_source: 'server_metrics' };
  const t = tally.tokens;
  if (t.cacheReported > 0 && t.input > 0)
    return { prefix_cache_hit_rate: round(t.cached / t.input, 6), prefix_cache_source: 'usage' };
  return { prefix_cache_hit_rate: null, prefix_cache_source: null };
}
