import { formatCount, formatPercent } from './format.js';
import type { ExperimentResult, RunStats, SummaryStats, TokenStats } from './results.js';

/**
 * Where a run's token figures came from, from the sources of its successful requests: all from the
 * servers' usage (exact), all counted from streamed chunks (a lower bound), all estimated, a mix, or
 * unknown.
 */
export type TokenProvenance = 'server' | 'counted' | 'estimated' | 'mixed' | 'none';

export function tokenProvenance(tokens: TokenStats): TokenProvenance {
  const kinds = (['server', 'counted', 'estimated'] as const).filter((k) => tokens.sources[k] > 0);
  if (kinds.length === 0) return 'none';
  return kinds.length > 1 ? 'mixed' : kinds[0]!;
}

/** How reports say a provenance. */
export const PROVENANCE_TEXT: Readonly<Record<TokenProvenance, string>> = {
  server: "from the server's usage",
  counted: 'counted from streamed chunks (a lower bound: servers may merge tokens into one chunk)',
  estimated: 'estimated',
  mixed: "partly from the server's usage, partly counted or estimated",
  none: 'unknown',
};

/**
 * The headline metrics every report compares experiments on, in one place: how to read each from a
 * run's or a summary's numbers, its unit, and which direction is better. Core computes confidence
 * intervals over runs for exactly these; reporters crown winners with them.
 */
export interface HeadlineMetric {
  readonly key: string;
  readonly label: string;
  readonly unit: 'req/s' | 'ms' | 's' | 'ratio' | 'tok/s';
  readonly better: 'higher' | 'lower';
  read(stats: RunStats | SummaryStats): number | null;
  /** Token metrics: where the figure came from, so winners are not named across provenances unsaid. */
  provenance?(stats: RunStats | SummaryStats): TokenProvenance;
}

export const HEADLINE_METRICS: readonly HeadlineMetric[] = [
  { key: 'requests_per_second', label: 'Throughput', unit: 'req/s', better: 'higher', read: (s) => s.requests_per_second },
  { key: 'latency_ms.p50', label: 'Latency p50', unit: 'ms', better: 'lower', read: (s) => s.latency_ms?.p50 ?? null },
  { key: 'latency_ms.p95', label: 'Latency p95', unit: 'ms', better: 'lower', read: (s) => s.latency_ms?.p95 ?? null },
  { key: 'latency_ms.p99', label: 'Latency p99', unit: 'ms', better: 'lower', read: (s) => s.latency_ms?.p99 ?? null },
  { key: 'wall_time_s', label: 'Total time', unit: 's', better: 'lower', read: (s) => s.wall_time_s },
  { key: 'success_rate', label: 'Success rate', unit: 'ratio', better: 'higher', read: (s) => s.success_rate },
  { key: 'ttft_ms.p50', label: 'TTFT p50', unit: 'ms', better: 'lower', read: (s) => s.ttft_ms?.p50 ?? null },
  {
    key: 'tokens.output_tokens_per_second',
    label: 'Output tokens/s',
    unit: 'tok/s',
    better: 'higher',
    read: (s) => (s.tokens.output > 0 ? s.tokens.output_tokens_per_second : null),
    provenance: (s) => tokenProvenance(s.tokens),
  },
  {
    key: 'prefix_cache_hit_rate',
    label: 'Prefix-cache hit rate',
    unit: 'ratio',
    better: 'higher',
    read: (s) => s.prefix_cache_hit_rate,
  },
  { key: 'goodput', label: 'Goodput', unit: 'req/s', better: 'higher', read: (s) => s.goodput ?? null },
];

/** A mean with its 95% confidence interval (Student's t over n runs). */
export interface Interval {
  readonly mean: number;
  readonly low: number;
  readonly high: number;
  readonly n: number;
}

/** Two-sided 95% Student t quantiles for 1..30 degrees of freedom. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101,
  2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/**
 * mean ± t(0.975, n-1) x s / sqrt(n), s the sample standard deviation. Null for fewer than 2 values.
 */
export function meanInterval(values: readonly number[]): Interval | null {
  const n = values.length;
  if (n < 2) return null;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  // Past 30 degrees of freedom: t = z + (z^3 + z) / (4 df), within 0.005 of the exact quantile.
  const df = n - 1;
  const t = T95[df - 1] ?? 1.96 + 2.37 / df;
  const half = t * Math.sqrt(variance / n);
  return { mean, low: mean - half, high: mean + half, n };
}

/** Whether two intervals tell their means apart (they do not overlap). */
export function separable(a: Interval, b: Interval): boolean {
  return a.high < b.low || b.high < a.low;
}

/** A relative difference within this is a tie: nobody wins on 1%. */
export const TIE_WITHIN = 0.01;

/** Who is best on one metric, as every report says it. */
export type Verdict =
  | { readonly kind: 'none' }
  | { readonly kind: 'tie' }
  /** Both leaders have 95% intervals over runs, and they overlap: the runs cannot tell them apart. */
  | { readonly kind: 'not-separable'; readonly leaders: readonly [string, string] }
  /** `note`: what the reader must know to weigh it, e.g. that the figures compared came from different sources. */
  | { readonly kind: 'winner'; readonly name: string; readonly by: string; readonly note?: string };

/**
 * The best experiment on a metric (means over runs when there are intervals) among those that
 * succeed about as often as the most reliable one, by how much it beats the runner-up: "+16%" for higher-is-better, "3.5x lower" / "29% lower" for lower-is-better, "+2.0
 * points" for ratios. A tie within 1%; no winner when the leaders' 95% intervals overlap.
 */
export function judge(m: HeadlineMetric, experiments: readonly ExperimentResult[]): Verdict {
  // Speed is no merit in failing: only results whose success rate is within 1 point of the best
  // can win any other metric (a cluster that refuses connections fast would top "throughput").
  const bestSuccess = Math.max(...experiments.map((e) => e.summary.success_rate));
  const eligible =
    m.key === 'success_rate' ? experiments : experiments.filter((e) => e.summary.success_rate >= bestSuccess - 0.01);
  const scored = eligible
    .map((e) => ({ e, v: e.intervals?.[m.key]?.mean ?? m.read(e.summary), i: e.intervals?.[m.key] as Interval | undefined }))
    .filter((x): x is { e: ExperimentResult; v: number; i: Interval | undefined } => x.v !== null);
  if (scored.length < 2) return { kind: 'none' };
  scored.sort((a, b) => (m.better === 'higher' ? b.v - a.v : a.v - b.v));
  const [best, second] = [scored[0]!, scored[1]!];
  const gap = Math.abs(best.v - second.v) / Math.max(Math.abs(best.v), Math.abs(second.v), Number.EPSILON);
  if (gap <= TIE_WITHIN) return { kind: 'tie' };
  if (best.i && second.i && !separable(best.i, second.i)) return { kind: 'not-separable', leaders: [best.e.name, second.e.name] };
  let by: string;
  if (m.unit === 'ratio') by = `+${((best.v - second.v) * 100).toFixed(1)} points`;
  else if (m.better === 'higher') by = second.v > 0 ? `+${((best.v / second.v - 1) * 100).toFixed(0)}%` : 'the only one above 0';
  else
    by =
      best.v > 0 && second.v / best.v >= 1.5
        ? `${(second.v / best.v).toFixed(1)}x lower`
        : `${((1 - best.v / second.v) * 100).toFixed(0)}% lower`;
  const pb = m.provenance?.(best.e.summary);
  const ps = m.provenance?.(second.e.summary);
  const note =
    pb !== undefined && pb !== ps
      ? `tokens of ${best.e.name} ${PROVENANCE_TEXT[pb]}, of ${second.e.name} ${PROVENANCE_TEXT[ps!]}`
      : undefined;
  return { kind: 'winner', name: best.e.name, by, ...(note === undefined ? {} : { note }) };
}

/** Below this success rate, every report leads with a warning about the experiment. */
export const LOW_SUCCESS_RATE = 0.95;

/**
 * The warnings a report leads with: experiments that mostly failed. A point cut short by the user
 * (partial) is said to be partial instead: its aborted requests are not the server's failures.
 */
export function runWarnings(results: { readonly experiments: readonly ExperimentResult[] }): string[] {
  return results.experiments
    .filter((e) => !e.partial && e.summary.requests > 0 && e.summary.success_rate < LOW_SUCCESS_RATE)
    .map((e) => {
      const s = e.summary;
      const kinds = (Object.entries(s.failures) as [string, number][])
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${formatCount(n)} ${k}`)
        .join(', ');
      return `${e.name}: only ${formatPercent(s.success_rate)} of ${formatCount(s.requests)} requests succeeded${kinds ? ` (${kinds})` : ''}`;
    });
}

/**
 * What reports say about connections, per server over the whole run: requests resent after a reused
 * connection died before any byte of the answer, and servers driven without connection reuse.
 */
export function connectionNotes(results: { readonly experiments: readonly ExperimentResult[] }): string[] {
  const byServer = new Map<string, { reconnects: number; noReuse: number; requests: number }>();
  for (const e of results.experiments) {
    for (const s of e.summary.servers) {
      const n = byServer.get(s.id) ?? { reconnects: 0, noReuse: 0, requests: 0 };
      n.reconnects += s.reconnects;
      n.noReuse += s.no_reuse_requests;
      n.requests += s.requests;
      byServer.set(s.id, n);
    }
  }
  const out: string[] = [];
  for (const [id, n] of byServer) {
    if (n.noReuse > 0) {
      out.push(
        `${id} closes its connection after answering although it offers keep-alive: ${formatCount(n.noReuse)} of ${formatCount(n.requests)} requests were sent without connection reuse ("connection: close"), each on a new connection`,
      );
    }
    if (n.reconnects > 0) {
      out.push(
        `${id}: ${formatCount(n.reconnects)} request${n.reconnects === 1 ? ' was' : 's were'} sent again on a fresh connection after the reused connection died before any byte of the answer (times count from the resend)`,
      );
    }
  }
  return out;
}
