import { z } from 'zod';
import {
  connectionNotes,
  defineReporter,
  FAILURE_KINDS,
  HEADLINE_METRICS,
  judge,
  PROVENANCE_TEXT,
  runWarnings,
  tokenProvenance,
  type ExperimentResult,
  type RunResults,
  type Saturation,
  type SummaryStats,
} from '@llmbench/plugin-api';
import {
  approximateMark,
  formatCount,
  formatInterval,
  formatMs,
  formatNumber,
  formatPercent,
  formatValue,
  MISSING,
  textTable,
} from '@llmbench/plugin-api/format';
import { gpuLines } from './gpu.js';
import { turnLines } from './turns.js';
import { LiveProgress, PlainProgress, progressLabel, useLiveBar, type ProgressView } from './progress.js';

export { progressLine } from './progress.js';

type Percentile = 50 | 90 | 95 | 99;
const DEFAULT_PERCENTILES: readonly Percentile[] = [50, 95, 99];

export const ConsoleOptions = z.strictObject({
  percentiles: z
    .array(z.union([z.literal(50), z.literal(90), z.literal(95), z.literal(99)]))
    .min(1)
    .default([...DEFAULT_PERCENTILES])
    .describe('Latency percentiles shown under each experiment\'s "Results:" and in the summary table (any of 50, 90, 95, 99).'),
  live: z
    .enum(['auto', 'always', 'never'])
    .default('auto')
    .describe(
      'Live progress bar: auto draws it when the output is a terminal and the CI variable is not set; never prints plain progress lines instead.',
    ),
  progress_interval_s: z
    .number()
    .nonnegative()
    .default(5)
    .describe(
      'Without the live bar: at most one plain progress line per this many seconds of each experiment run; 0 turns them off.',
    ),
});
export type ConsoleOptions = z.output<typeof ConsoleOptions>;

/** What the pure renderers need; `llmbench report` passes the options the run's reporter had. */
export type RenderOptions = Pick<ConsoleOptions, 'percentiles'>;

const DEFAULT_RENDER: RenderOptions = { percentiles: [...DEFAULT_PERCENTILES] };

/** Ascending, without repeats, whatever order the scenario listed them in. */
function percentilesOf(options: RenderOptions): Percentile[] {
  return [...new Set(options.percentiles)].sort((a, b) => a - b);
}

/** The per-experiment block, in the seed guide's layout ("Results:", "Worker utilization:"). */
export function renderExperiment(e: ExperimentResult, options: RenderOptions = DEFAULT_RENDER): string {
  const s = e.summary;
  const params = Object.entries(e.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const lines = [
    `EXPERIMENT: ${e.name} (${e.strategy.name}${params ? `, ${params}` : ''})`,
    'Results:',
    `  Requests: ${formatCount(s.requests)}${e.runs.length > 1 ? ` over ${e.runs.length} runs` : ''}`,
    `  Requests/sec: ${formatNumber(s.requests_per_second)}`,
    `  Success rate: ${formatPercent(s.success_rate)}`,
    `  Avg response time: ${formatMs(s.latency_ms?.avg)}`,
    ...percentilesOf(options).map((p) => `  P${p} response time: ${formatMs(s.latency_ms?.[`p${p}`])}`),
    `  Total time: ${formatMs(s.wall_time_s * 1000)}`,
  ];
  const sweep = e.sweep;
  if (sweep?.offered_rps !== undefined) {
    const verdict = sweep.saturated
      ? `SATURATED (${sweep.saturation_reason === 'latency' ? 'latency p95 jumped' : 'throughput fell short'})`
      : 'keeping up';
    lines.push(
      `  Offered / achieved: ${formatNumber(sweep.offered_rps)} / ${formatNumber(sweep.achieved_rps ?? 0)} req/s, ${verdict}`,
    );
  }
  if (s.ttft_ms) lines.push(`  TTFT p50/p95: ${formatMs(s.ttft_ms.p50)} / ${formatMs(s.ttft_ms.p95)}`);
  if (s.itl_ms) lines.push(`  ITL p50/p95: ${formatMs(s.itl_ms.p50)} / ${formatMs(s.itl_ms.p95)}`);
  if (s.tpot_ms) lines.push(`  TPOT p50: ${formatMs(s.tpot_ms.p50)}`);
  if (s.server_prompt_ms)
    lines.push(`  Server prompt time p50/p95: ${formatMs(s.server_prompt_ms.p50)} / ${formatMs(s.server_prompt_ms.p95)}`);
  if (s.server_tpot_ms) lines.push(`  Server decode time per token p50: ${formatMs(s.server_tpot_ms.p50)}`);
  lines.push(...tokenLines(s));
  lines.push(...turnLines(s));
  lines.push(...sloLines(s));
  if (s.prefix_cache_hit_rate !== null) {
    lines.push(
      `  Prefix cache hit rate: ${formatPercent(s.prefix_cache_hit_rate)} (${s.prefix_cache_source === 'usage' ? "from the responses' cached_tokens" : "from the servers' counters"})`,
    );
  }
  if (s.reconnects > 0 || s.no_reuse_requests > 0) {
    lines.push(
      `  Connections: ${formatCount(s.reconnects)} reconnect${s.reconnects === 1 ? '' : 's'}, ${formatCount(s.no_reuse_requests)} request${s.no_reuse_requests === 1 ? '' : 's'} sent without reuse`,
    );
  }
  if (s.barrier) {
    lines.push(
      `  Barrier idle: ${formatPercent(s.barrier.idle_fraction)} of slot time over ${formatCount(s.barrier.batches)} batches`,
    );
  }
  lines.push(...gpuLines(s));
  const failures = failureText(s);
  if (failures) lines.push(`  Failures: ${failures}`);
  lines.push('', 'Worker utilization:');
  for (const server of s.servers) {
    const extra = [
      `busy ${formatPercent(server.busy_fraction)}`,
      ...(server.queued_requests > 0 && server.queue_ms ? [`queue p95 ${formatMs(server.queue_ms.p95)}`] : []),
      ...(server.ejections > 0 ? [`taken out ${server.ejections}x`] : []),
      ...(server.reconnects > 0 ? [`${formatCount(server.reconnects)} reconnects`] : []),
    ];
    lines.push(
      `  ${server.id}: ${formatCount(server.requests)} requests, ${formatPercent(server.success_rate)} success rate, ${formatPercent(server.load_share)} of load, ${extra.join(', ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Input, cached and output tokens, each with where it came from; figures not from the server's usage marked ≈. */
function tokenLines(s: SummaryStats): string[] {
  const t = s.tokens;
  if (t.input === 0 && t.output === 0) return [];
  const provenance = tokenProvenance(t);
  const mark = approximateMark(provenance);
  const cached = t.cache_reported > 0 || t.cached > 0 ? ` (${formatCount(t.cached)} cached)` : '';
  const lines = [
    `  Tokens: ${t.input > 0 ? `input ${formatCount(t.input)}${cached}, ` : ''}output ${mark}${formatCount(t.output)}, ${PROVENANCE_TEXT[provenance]}`,
  ];
  if (t.output > 0) lines.push(`  Output tokens/sec: ${mark}${formatNumber(t.output_tokens_per_second)}`);
  return lines;
}

/** Goodput and each service-level objective's verdict. */
function sloLines(s: SummaryStats): string[] {
  if (s.goodput === null || s.goodput === undefined) return [];
  const lines = [
    `  Goodput: ${formatNumber(s.goodput)} req/s (${formatCount(s.slo_met_requests)} of ${formatCount(s.successes)} successful requests within every objective)`,
  ];
  for (const o of s.slo ?? []) {
    lines.push(
      `  SLO ${o.metric} ${o.bound} <= ${formatMs(o.limit)}: ${formatMs(o.actual)} ${o.met ? 'MET' : 'NOT MET'} (${formatCount(o.met_requests)} requests within)`,
    );
  }
  return lines;
}

function failureText(s: SummaryStats): string {
  return FAILURE_KINDS.filter((k) => s.failures[k] > 0)
    .map((k) => `${formatCount(s.failures[k])} ${k}`)
    .join(', ');
}

/** An experiment's saturation point in one line. */
export function saturationText(found: Saturation): string {
  const sustained =
    found.max_unsaturated_rps === null
      ? 'no rate was sustained'
      : `sustained up to ${formatNumber(found.max_unsaturated_rps)} req/s`;
  if (found.point === null) return `Saturation (${found.experiment}): no point saturated; ${sustained}.`;
  return `Saturation (${found.experiment}): first at ${found.point}, ${formatNumber(found.achieved_rps ?? 0)} of ${formatNumber(found.offered_rps ?? 0)} req/s offered; ${sustained}.`;
}

/** "gpu=A100, commit=abc123": a run's labels, in the order written. */
export function labelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** The closing comparison of every experiment, plus threshold verdicts. */
export function renderSummary(results: RunResults, options: RenderOptions = DEFAULT_RENDER): string {
  const out: string[] = [];
  const warnings = runWarnings(results);
  if (warnings.length > 0) out.push(...warnings.map((w) => `WARNING: ${w}`), '');
  if (results.experiments.length > 1) {
    const percentiles = percentilesOf(options);
    const withTokens = results.experiments.some((e) => e.summary.tokens.input > 0 || e.summary.tokens.output > 0);
    const withCache = results.experiments.some((e) => e.summary.prefix_cache_hit_rate !== null);
    const withSlo = results.experiments.some((e) => e.summary.goodput != null);
    out.push('SUMMARY');
    out.push(
      textTable(
        [
          'Experiment',
          'Req/s',
          'Avg',
          ...percentiles.map((p) => `P${p}`),
          'Success',
          'Total',
          ...(withTokens ? ['In tok', 'Cached', 'Out tok'] : []),
          ...(withCache ? ['Cache hit'] : []),
          ...(withSlo ? ['Goodput', 'SLO'] : []),
        ],
        results.experiments.map((e) => {
          const s = e.summary;
          const t = s.tokens;
          return [
            e.name,
            formatNumber(s.requests_per_second),
            formatMs(s.latency_ms?.avg),
            ...percentiles.map((p) => formatMs(s.latency_ms?.[`p${p}`])),
            formatPercent(s.success_rate),
            formatMs(s.wall_time_s * 1000),
            ...(withTokens
              ? [
                  t.input > 0 ? formatCount(t.input) : MISSING,
                  t.cache_reported > 0 || t.cached > 0 ? formatCount(t.cached) : MISSING,
                  `${approximateMark(tokenProvenance(t))}${formatCount(t.output)}`,
                ]
              : []),
            ...(withCache ? [formatPercent(s.prefix_cache_hit_rate)] : []),
            ...(withSlo ? [formatNumber(s.goodput), s.slo_met == null ? MISSING : s.slo_met ? 'met' : 'not met'] : []),
          ];
        }),
      ),
    );
    if (withTokens && results.experiments.some((e) => approximateMark(tokenProvenance(e.summary.tokens)) !== '')) {
      out.push('(≈: output tokens counted from streamed chunks or estimated, not reported by the server)');
    }
  }
  for (const found of results.saturation ?? []) out.push('', saturationText(found));
  const repeated = results.experiments.filter((e) => e.intervals);
  if (repeated.length > 0) {
    out.push('', `ACROSS RUNS (mean ± 95% confidence interval over ${Math.max(...repeated.map((e) => e.runs.length))} runs)`);
    const metrics = HEADLINE_METRICS.filter((m) => repeated.some((e) => e.intervals?.[m.key]));
    out.push(
      textTable(
        ['Experiment', ...metrics.map((m) => m.label)],
        repeated.map((e) => [e.name, ...metrics.map((m) => formatInterval(m.unit, e.intervals?.[m.key]))]),
      ),
    );
    if (repeated.length > 1) {
      for (const m of metrics) {
        const v = judge(m, repeated);
        if (v.kind === 'not-separable')
          out.push(`  ${m.label}: ${v.leaders[0]} and ${v.leaders[1]} cannot be told apart (their intervals overlap)`);
        else if (v.kind === 'winner') out.push(`  ${m.label}: ${v.name} wins (${v.by})${v.note ? `; note: ${v.note}` : ''}`);
        else if (v.kind === 'tie') out.push(`  ${m.label}: a tie (within 1%)`);
      }
    }
  }
  if (results.thresholds.length > 0) {
    out.push('', 'Thresholds:');
    for (const t of results.thresholds) {
      const bound = [t.min === undefined ? '' : `>= ${t.min}`, t.max === undefined ? '' : `<= ${t.max}`]
        .filter(Boolean)
        .join(' and ');
      out.push(
        `  ${t.passed ? 'PASS' : 'FAIL'}  ${t.experiment}: ${t.metric} ${bound} (actual ${t.actual === null ? 'none' : formatValue(t.actual)})`,
      );
    }
  }
  if (results.aborted_by) {
    const a = results.aborted_by;
    out.push(
      '',
      `Stopped after ${a.experiment}: threshold ${a.metric} (abort_on_fail) failed (actual ${a.actual === null ? 'none' : formatValue(a.actual)}); the remaining experiments were not run.`,
    );
  }
  const notes = connectionNotes(results);
  if (notes.length > 0) out.push('', 'Connections:', ...notes.map((n) => `  ${n}`));
  if (results.status !== 'completed') {
    const partial = results.experiments.filter((e) => e.partial).map((e) => e.name);
    out.push(
      '',
      `Run ${results.status}${results.error ? `: ${results.error}` : ''}. Results cover the experiments that ran${partial.length ? `; partial: ${partial.join(', ')}` : ''}.`,
    );
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

export default defineReporter({
  name: 'console',
  description: "Shows live progress, prints each experiment's summary as it ends and a comparison at the end.",
  options: ConsoleOptions,
  create(ctx, options) {
    const progress: ProgressView = useLiveBar(options.live, ctx.out.isTTY, process.env)
      ? new LiveProgress(ctx.out)
      : new PlainProgress(ctx.out, options.progress_interval_s * 1000);
    let runs = 1;
    return {
      onRunStart(info) {
        runs = info.runs;
        const labels = info.labels && Object.keys(info.labels).length > 0 ? `labels: ${labelsText(info.labels)}\n` : '';
        ctx.out.write(`llmbench: ${info.scenario}${info.description ? ` - ${info.description}` : ''}\n${labels}\n`);
      },
      onProgress(snapshot) {
        progress.update(snapshot, progressLabel(snapshot, runs));
      },
      onExperimentEnd(experiment) {
        progress.stop();
        ctx.out.write(`${renderExperiment(experiment, options)}\n`);
      },
      onRunEnd(results) {
        progress.stop();
        ctx.out.write(renderSummary(results, options));
      },
    };
  },
});
