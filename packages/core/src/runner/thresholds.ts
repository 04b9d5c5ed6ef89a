import {
  FAILURE_KINDS,
  type ExperimentResult,
  type LatencyStats,
  type ServerStats,
  type SummaryStats,
  type ThresholdResult,
} from '@llmbench/plugin-api';
import type { Threshold } from '../scenario/schema.js';
import { totalFailures } from '../metrics/tally.js';
import { statOf } from '../metrics/slo.js';
import { closest } from '../scenario/issues.js';

type Read<S> = (s: S) => number | null;

/** Latency families of a summary, each read as `<family>.<stat>`. */
export const LATENCY_FAMILIES = [
  'latency_ms',
  'ttft_ms',
  'itl_ms',
  'tpot_ms',
  'queue_ms',
  'server_ttft_ms',
  'server_prompt_ms',
  'server_tpot_ms',
] as const;
const SERVER_FAMILIES = ['latency_ms', 'queue_ms'] as const;
const STATS = ['avg', 'min', 'max', 'stddev', 'p50', 'p90', 'p95', 'p99'] as const;

const SCALARS: Readonly<Record<string, Read<SummaryStats>>> = {
  success_rate: (s) => s.success_rate,
  requests_per_second: (s) => s.requests_per_second,
  wall_time_s: (s) => s.wall_time_s,
  requests: (s) => s.requests,
  successes: (s) => s.successes,
  failures: (s) => totalFailures(s.failures),
  ...Object.fromEntries(FAILURE_KINDS.map((k) => [`failures.${k}`, (s: SummaryStats) => s.failures[k]])),
  goodput: (s) => s.goodput ?? null,
  slo_met_requests: (s) => s.slo_met_requests ?? null,
  prefix_cache_hit_rate: (s) => s.prefix_cache_hit_rate,
  max_in_flight: (s) => s.max_in_flight,
  queued_requests: (s) => s.queued_requests,
  reconnects: (s) => s.reconnects ?? 0,
  'tokens.input': (s) => s.tokens.input,
  'tokens.output': (s) => s.tokens.output,
  'tokens.cached': (s) => s.tokens.cached,
  'tokens.output_tokens_per_second': (s) => s.tokens.output_tokens_per_second,
  'server_tokens_per_second.avg': (s) => s.server_tokens_per_second?.avg ?? null,
  'server_tokens_per_second.min': (s) => s.server_tokens_per_second?.min ?? null,
  'server_tokens_per_second.max': (s) => s.server_tokens_per_second?.max ?? null,
  'barrier.idle_fraction': (s) => s.barrier?.idle_fraction ?? null,
};

const SERVER_SCALARS: Readonly<Record<string, Read<ServerStats>>> = {
  requests: (s) => s.requests,
  successes: (s) => s.successes,
  success_rate: (s) => s.success_rate,
  load_share: (s) => s.load_share,
  max_in_flight: (s) => s.max_in_flight,
  busy_fraction: (s) => s.busy_fraction,
  ejections: (s) => s.ejections,
  queued_requests: (s) => s.queued_requests,
  reconnects: (s) => s.reconnects ?? 0,
  failures: (s) => totalFailures(s.failures),
  ...Object.fromEntries(FAILURE_KINDS.map((k) => [`failures.${k}`, (s: ServerStats) => s.failures[k]])),
};

const PERCENTILE = /^p(100|\d{1,2}(\.\d+)?)$/;

/** A resolved threshold metric: how to read it, and the percentile it needs beyond the fixed four. */
export interface MetricReader {
  readonly read: Read<SummaryStats>;
  readonly percentile?: number;
}

export type MetricResolution = MetricReader | { readonly error: string; readonly hint: string };

/** `p99.90` and `p99.9` are one percentile: its canonical key. */
function statKey(stat: string): { key: string; percentile?: number } | undefined {
  if ((STATS as readonly string[]).includes(stat)) return { key: stat };
  if (!PERCENTILE.test(stat)) return undefined;
  const p = Number(stat.slice(1));
  if (!(p > 0 && p <= 100)) return undefined;
  return { key: `p${p}`, percentile: p };
}

function family<S>(
  name: string,
  families: readonly string[],
  get: (s: S, f: string) => LatencyStats | null | undefined,
): { read: Read<S>; percentile?: number } | undefined {
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  const f = name.slice(0, dot);
  if (!families.includes(f)) return undefined;
  const stat = statKey(name.slice(dot + 1));
  if (!stat) return undefined;
  const extra =
    stat.percentile !== undefined && !(STATS as readonly string[]).includes(stat.key) ? { percentile: stat.percentile } : {};
  return { read: (s) => statOf(get(s, f), stat.key), ...extra };
}

/** Every metric name a threshold may use, with `<id>` filled in for each server: for listing and did-you-mean. */
export function thresholdMetricNames(serverIds: readonly string[]): string[] {
  const names = [...Object.keys(SCALARS), ...LATENCY_FAMILIES.flatMap((f) => STATS.map((s) => `${f}.${s}`))];
  for (const id of serverIds) {
    names.push(...Object.keys(SERVER_SCALARS).map((m) => `servers.${id}.${m}`));
    names.push(...SERVER_FAMILIES.flatMap((f) => STATS.map((s) => `servers.${id}.${f}.${s}`)));
  }
  return names;
}

/**
 * Reads a dotted threshold metric: a summary number (`goodput`, `tokens.output_tokens_per_second`,
 * `failures.timeout`), `<family>.<stat>` with stat avg/min/max/stddev or any percentile `p<N>`
 * (`ttft_ms.p99.9`), or `servers.<id>.<metric>`.
 */
export function resolveMetric(name: string, serverIds: readonly string[]): MetricResolution {
  const scalar = SCALARS[name];
  if (scalar) return { read: scalar };
  const fam = family<SummaryStats>(name, LATENCY_FAMILIES, (s, f) => s[f as (typeof LATENCY_FAMILIES)[number]]);
  if (fam) return fam;
  if (name.startsWith('servers.')) {
    const rest = name.slice('servers.'.length);
    // Server ids may contain dots: take the longest id the name starts with.
    const id = [...serverIds].sort((a, b) => b.length - a.length).find((i) => rest.startsWith(`${i}.`));
    if (id !== undefined) {
      const metric = rest.slice(id.length + 1);
      const pick = (s: SummaryStats) => s.servers.find((x) => x.id === id);
      const own = SERVER_SCALARS[metric];
      if (own)
        return {
          read: (s) => {
            const x = pick(s);
            return x ? own(x) : null;
          },
        };
      const sf = family<ServerStats>(metric, SERVER_FAMILIES, (x, f) => x[f as (typeof SERVER_FAMILIES)[number]]);
      if (sf)
        return {
          read: (s) => {
            const x = pick(s);
            return x ? sf.read(x) : null;
          },
          ...(sf.percentile === undefined ? {} : { percentile: sf.percentile }),
        };
    }
  }
  return { error: `unknown threshold metric "${name}"`, hint: metricHint(name, serverIds) };
}

function metricHint(name: string, serverIds: readonly string[]): string {
  const guess = closest(name, thresholdMetricNames(serverIds));
  const servers = serverIds.length
    ? `; servers.<id>.<m> with <id> one of ${serverIds.join(', ')} and <m> one of ${[...Object.keys(SERVER_SCALARS), ...SERVER_FAMILIES.map((f) => `${f}.<stat>`)].join(', ')}`
    : '';
  return `${guess ? `did you mean "${guess}"? ` : ''}valid metrics: ${Object.keys(SCALARS).join(', ')}; <family>.<stat> with <family> one of ${LATENCY_FAMILIES.join(', ')} and <stat> one of ${STATS.join(', ')} or any percentile p<N> (e.g. p99.9)${servers}`;
}

/** A threshold's metric read from a summary; null when it has no value (or the metric is unknown). */
export function metricValue(stats: SummaryStats, metric: string): number | null {
  const r = resolveMetric(
    metric,
    stats.servers.map((s) => s.id),
  );
  return 'read' in r ? r.read(stats) : null;
}

/** Percentiles the thresholds read beyond p50/p90/p95/p99 (so results carry them). */
export function thresholdPercentiles(thresholds: readonly Threshold[], serverIds: readonly string[]): number[] {
  const out: number[] = [];
  for (const t of thresholds) {
    const r = resolveMetric(t.metric, serverIds);
    if ('read' in r && r.percentile !== undefined) out.push(r.percentile);
  }
  return out;
}

/**
 * Checks each threshold against each experiment it covers (by scenario experiment name, so a sweep's
 * every point is checked). A metric with no value (no successful request) fails.
 */
export function evaluateThresholds(
  thresholds: readonly Threshold[],
  experiments: readonly ExperimentResult[],
): ThresholdResult[] {
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
