import type { LatencyStats, RunStats, SloResult } from '@llmbench/plugin-api';

export const SLO_METRICS = ['ttft_ms', 'itl_ms', 'tpot_ms', 'e2el_ms'] as const;
export type SloMetric = (typeof SLO_METRICS)[number];

/** The results family an objective reads its run value from. */
const FAMILY: Readonly<Record<SloMetric, 'ttft_ms' | 'itl_ms' | 'tpot_ms' | 'latency_ms'>> = {
  ttft_ms: 'ttft_ms',
  itl_ms: 'itl_ms',
  tpot_ms: 'tpot_ms',
  e2el_ms: 'latency_ms',
};

/**
 * Per-request limits in ms, pre-resolved for the hot path (undefined: no objective on that measure).
 * Plain data, so it crosses to worker threads.
 */
export interface SloLimits {
  readonly ttft?: number;
  readonly itl?: number;
  readonly tpot?: number;
  readonly e2el?: number;
}

/** Requests within each limit, and within all of them. */
export interface SloCounts {
  met: number;
  ttft: number;
  itl: number;
  tpot: number;
  e2el: number;
}

export function emptySloCounts(): SloCounts {
  return { met: 0, ttft: 0, itl: 0, tpot: 0, e2el: 0 };
}

export interface SloObjective {
  readonly metric: SloMetric;
  /** "max" or "p95", "p99.9". */
  readonly bound: string;
  /** The percentile, 100 for "max". */
  readonly percentile: number;
  readonly limit: number;
}

export interface ResolvedSlo {
  readonly objectives: readonly SloObjective[];
  readonly limits: SloLimits;
}

const LIMIT_KEY: Readonly<Record<SloMetric, keyof SloLimits>> = {
  ttft_ms: 'ttft',
  itl_ms: 'itl',
  tpot_ms: 'tpot',
  e2el_ms: 'e2el',
};

/** Objectives as validated by the scenario schema (one bound each), in a fixed order; undefined without any. */
export function resolveSlo(
  input: Partial<Record<SloMetric, Record<string, number> | undefined>> | undefined,
): ResolvedSlo | undefined {
  if (!input) return undefined;
  const objectives: SloObjective[] = [];
  const limits: { -readonly [K in keyof SloLimits]: number } = {};
  for (const metric of SLO_METRICS) {
    const o = input[metric];
    const entry = o && Object.entries(o)[0];
    if (!entry) continue;
    const [bound, limit] = entry;
    objectives.push({ metric, bound, percentile: bound === 'max' ? 100 : Number(bound.slice(1)), limit });
    limits[LIMIT_KEY[metric]] = limit;
  }
  return objectives.length ? { objectives, limits } : undefined;
}

/** Percentiles the objectives need beyond those results always carry. */
export function sloPercentiles(slo: ResolvedSlo | undefined): number[] {
  return (slo?.objectives ?? []).map((o) => o.percentile).filter((p) => p !== 100);
}

/** A percentile or statistic of a latency family: the fixed fields, else `extra` ("p99.9"). */
export function statOf(stats: LatencyStats | null | undefined, stat: string): number | null {
  if (!stats) return null;
  if (
    stat === 'avg' ||
    stat === 'min' ||
    stat === 'max' ||
    stat === 'stddev' ||
    stat === 'p50' ||
    stat === 'p90' ||
    stat === 'p95' ||
    stat === 'p99'
  )
    return stats[stat];
  return stats.extra?.[stat] ?? null;
}

/**
 * The SLO fields of a run's (or summary's) results: goodput = requests within every limit / wall
 * time, and per objective the run's value at its bound against the limit.
 */
export function sloFields(
  slo: ResolvedSlo | undefined,
  counts: Readonly<SloCounts>,
  stats: Pick<RunStats, 'wall_time_s' | 'ttft_ms' | 'itl_ms' | 'tpot_ms' | 'latency_ms'>,
): Pick<RunStats, 'goodput' | 'slo_met_requests' | 'slo_met' | 'slo'> {
  if (!slo) return { goodput: null, slo_met_requests: null, slo_met: null, slo: [] };
  const results: SloResult[] = slo.objectives.map((o) => {
    const actual = statOf(stats[FAMILY[o.metric]], o.bound);
    return {
      metric: o.metric,
      bound: o.bound,
      limit: o.limit,
      actual,
      met: actual !== null && actual <= o.limit,
      met_requests: counts[LIMIT_KEY[o.metric]],
    };
  });
  const wall = stats.wall_time_s;
  return {
    goodput: wall > 0 ? Math.round((counts.met / wall) * 1000) / 1000 : 0,
    slo_met_requests: counts.met,
    slo_met: results.every((r) => r.met),
    slo: results,
  };
}
