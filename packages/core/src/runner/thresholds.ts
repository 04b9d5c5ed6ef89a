import type { ExperimentResult, SummaryStats, ThresholdResult } from '@llmbench/plugin-api';
import type { Threshold, ThresholdMetric } from '../scenario/schema.js';
import { totalFailures } from '../metrics/tally.js';

export function metricValue(stats: SummaryStats, metric: ThresholdMetric): number | null {
  switch (metric) {
    case 'success_rate':
      return stats.success_rate;
    case 'requests_per_second':
      return stats.requests_per_second;
    case 'wall_time_s':
      return stats.wall_time_s;
    case 'failures':
      return totalFailures(stats.failures);
    default: {
      const key = metric.slice('latency_ms.'.length) as keyof NonNullable<SummaryStats['latency_ms']>;
      return stats.latency_ms?.[key] ?? null;
    }
  }
}

/**
 * Checks each threshold against each experiment it covers (by scenario experiment name, so a sweep's
 * every point is checked). A metric with no value (no successful request) fails.
 */
export function evaluateThresholds(thresholds: readonly Threshold[], experiments: readonly ExperimentResult[]): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const t of thresholds) {
    for (const e of experiments) {
      if (t.experiment !== undefined && e.experiment !== t.experiment) continue;
      const actual = metricValue(e.summary, t.metric);
      const passed = actual !== null && (t.min === undefined || actual >= t.min) && (t.max === undefined || actual <= t.max);
      out.push({
        metric: t.metric,
        experiment: e.name,
        ...(t.min === undefined ? {} : { min: t.min }),
        ...(t.max === undefined ? {} : { max: t.max }),
        actual,
        passed,
      });
    }
  }
  return out;
}
