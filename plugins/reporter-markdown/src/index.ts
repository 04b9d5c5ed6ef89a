// Over 400 lines on purpose: one document's sections in reading order (summary, setup, experiments,
// servers, definitions); charts, GPU rows and definitions already live in their own files.
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
  writeFileAtomic,
  type ExperimentResult,
  type HeadlineMetric,
  type RunResults,
  type Saturation,
} from '@llmbench/plugin-api';
import {
  approximateMark,
  formatCount,
  formatFactor,
  formatInterval,
  formatMetric,
  formatMs,
  formatNumber,
  formatPercent,
  formatValue,
  markdownTable as table,
  MISSING,
} from '@llmbench/plugin-api/format';
import { renderChart } from './charts.js';
import { DEFINITIONS, type DefinitionKey } from './definitions.js';
import { gpuRows } from './gpu.js';

export { renderChart, niceMax } from './charts.js';

export const PERCENTILES = [50, 90, 95, 99] as const;
type Percentile = (typeof PERCENTILES)[number];

export const MarkdownOptions = z.strictObject({
  output: z
    .string()
    .min(1)
    .default('results/{scenario}-{timestamp}.md')
    .describe('Where to write; {scenario} and {timestamp} are replaced. Relative to the current directory.'),
  percentiles: z
    .array(z.union([z.literal(50), z.literal(90), z.literal(95), z.literal(99)]))
    .min(1)
    .default([50, 95, 99])
    .describe('Latency percentiles shown in the per-experiment tables (50, 90, 95, 99).'),
});
export type MarkdownOptions = z.output<typeof MarkdownOptions>;

/** Collects the metric definitions a document uses, in a fixed order, for its closing section. */
class Used {
  private readonly keys = new Set<DefinitionKey>();
  add(...keys: DefinitionKey[]): void {
    for (const k of keys) this.keys.add(k);
  }
  render(): string {
    const order = Object.keys(DEFINITIONS) as DefinitionKey[];
    return order
      .filter((k) => this.keys.has(k))
      .map((k) => `- **${DEFINITIONS[k].term}**: ${DEFINITIONS[k].text}`)
      .join('\n');
  }
}

const metricDefinition: Record<string, DefinitionKey> = {
  requests_per_second: 'throughput',
  'latency_ms.p50': 'latency',
  'latency_ms.p95': 'latency',
  'latency_ms.p99': 'latency',
  wall_time_s: 'wall_time',
  success_rate: 'success_rate',
  'ttft_ms.p50': 'ttft',
  'tokens.output_tokens_per_second': 'output_tps',
  prefix_cache_hit_rate: 'prefix_cache',
  goodput: 'goodput',
};

/** A cell of the summary table: the value, or mean ± half-width over runs. */
function summaryCell(m: HeadlineMetric, e: ExperimentResult): string {
  const interval = e.intervals?.[m.key];
  if (interval) return formatInterval(m.unit, interval);
  const v = m.read(e.summary);
  return v === null ? MISSING : `${m.provenance ? approximateMark(m.provenance(e.summary)) : ''}${formatMetric(m.unit, v)}`;
}

/** The summary table's Winner cell for one metric. */
export function winner(m: HeadlineMetric, experiments: readonly ExperimentResult[]): string {
  const v = judge(m, experiments);
  switch (v.kind) {
    case 'none':
      return MISSING;
    case 'tie':
      return '🤝 tie';
    case 'not-separable':
      return '≈ no clear winner (95% CIs overlap)';
    case 'winner':
      return `🏆 ${v.name} (${v.by}${v.note ? `; note: ${v.note}` : ''})`;
  }
}

function answer(results: RunResults, used: Used): string[] {
  const ex = results.experiments;
  if (ex.length === 0) return [];
  const metrics = HEADLINE_METRICS.filter((m) => ex.some((e) => m.read(e.summary) !== null));
  const rows = metrics.map((m) => {
    used.add(metricDefinition[m.key]!);
    return [`**${m.label}**`, ...ex.map((e) => summaryCell(m, e)), ...(ex.length > 1 ? [winner(m, ex)] : [])];
  });
  // Token counts beside the headline metrics: input, cached prompt and output tokens (≈ when not the server's own).
  if (ex.some((e) => e.summary.tokens.input > 0 || e.summary.tokens.output > 0)) {
    used.add('tokens');
    const filler = ex.length > 1 ? [MISSING] : [];
    if (ex.some((e) => e.summary.tokens.input > 0))
      rows.push([
        '**Input tokens**',
        ...ex.map((e) => (e.summary.tokens.input > 0 ? formatCount(e.summary.tokens.input) : MISSING)),
        ...filler,
      ]);
    if (ex.some((e) => e.summary.tokens.cache_reported > 0 || e.summary.tokens.cached > 0)) {
      rows.push([
        '**Cached prompt tokens**',
        ...ex.map((e) =>
          e.summary.tokens.cache_reported > 0 || e.summary.tokens.cached > 0 ? formatCount(e.summary.tokens.cached) : MISSING,
        ),
        ...filler,
      ]);
    }
    rows.push([
      '**Output tokens**',
      ...ex.map((e) => `${approximateMark(tokenProvenance(e.summary.tokens))}${formatCount(e.summary.tokens.output)}`),
      ...filler,
    ]);
  }
  if (ex.some((e) => e.summary.reconnects > 0 || e.summary.no_reuse_requests > 0)) {
    used.add('reconnects');
    rows.push(['**Reconnects**', ...ex.map((e) => formatCount(e.summary.reconnects)), ...(ex.length > 1 ? [MISSING] : [])]);
  }
  const gpu = gpuRows(ex);
  used.add(...gpu.used);
  rows.push(...gpu.rows);
  const out = ['## Answer', ''];
  const runs = Math.max(...ex.map((e) => e.runs.length));
  if (runs > 1) {
    out.push(
      `Each experiment ran ${runs} times: values are the mean ± the half-width of its 95% confidence interval, and a winner is named only where the intervals do not overlap.`,
      '',
    );
  }
  out.push(
    table(['Metric', ...ex.map((e) => e.name), ...(ex.length > 1 ? ['Winner'] : [])], rows, [
      'left',
      ...ex.map(() => 'right' as const),
      ...(ex.length > 1 ? ['left' as const] : []),
    ]),
  );
  const notes = [
    ...(ex.some((e) => approximateMark(tokenProvenance(e.summary.tokens)) !== '')
      ? [
          '≈: token figures counted from streamed chunks (a lower bound: servers may merge tokens into one chunk) or estimated, not reported by the server.',
        ]
      : []),
    ...connectionNotes(results),
  ];
  if (notes.length > 0) out.push('', ...notes.map((n) => `- ${n}`));
  return out;
}

function setup(results: RunResults): string[] {
  const env = results.environment;
  const started = Date.parse(results.started_at);
  const finished = Date.parse(results.finished_at);
  const rows: string[][] = [
    ['llmbench', results.llmbench_version],
    ['Started', results.started_at],
    ['Duration', formatMs(finished - started)],
    ['Status', results.status + (results.error ? `: ${results.error}` : '')],
    ['Node.js', env.node],
    ['OS', `${env.platform} ${env.os_release} (${env.arch})`],
    ['CPU', `${env.cpu} × ${env.cpus}`],
    ['Memory', `${env.memory_gb} GB`],
    ['Host', env.hostname],
    ['Scenario file', results.scenario.file],
  ];
  const labels = Object.entries(results.labels ?? {});
  if (labels.length > 0) rows.push(['Labels', labels.map(([k, v]) => `${k}=${v}`).join(', ')]);
  const out = ['## Setup', '', table(['Setting', 'Value'], rows, ['left', 'left'])];
  // The model a request names: the server's own, else the scenario workload's (experiments may override it).
  const workload = results.scenario.definition.workload as { model?: unknown } | undefined;
  const workloadModel = typeof workload?.model === 'string' ? workload.model : undefined;
  if (results.servers.length > 0) {
    out.push(
      '',
      table(
        ['Server', 'Backend', 'URL', 'Model', 'Max concurrent'],
        results.servers.map((s) => [
          s.id,
          s.backend,
          s.url ?? '- (in process)',
          s.model ?? workloadModel ?? "- (the server's default)",
          s.max_concurrent_requests === null ? 'unlimited' : String(s.max_concurrent_requests),
        ]),
        ['left', 'left', 'left', 'left', 'right'],
      ),
    );
  }
  return out;
}

/** An experiment's description as the scenario wrote it. */
function experimentDescription(results: RunResults, name: string): string | undefined {
  const list = results.scenario.definition.experiments;
  if (!Array.isArray(list)) return undefined;
  const found = list.find(
    (x): x is { name: string; description?: unknown } =>
      typeof x === 'object' && x !== null && (x as { name?: unknown }).name === name,
  );
  return typeof found?.description === 'string' ? found.description : undefined;
}

function experimentDetails(results: RunResults, e: ExperimentResult, options: MarkdownOptions, used: Used): string[] {
  const s = e.summary;
  const out = [`### ${e.name}`, ''];
  const description = experimentDescription(results, e.experiment);
  if (description) out.push(`*${description.trim().replaceAll('*', '\\*')}*`, '');
  const params = Object.entries(e.params)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const balancer = e.point.servers.length > 1 ? `; balancer ${e.point.balancer.policy}` : '';
  out.push(
    `Strategy \`${e.strategy.name}\` (${params}); ${formatCount(e.point.requests)} ${s.turns?.length ? 'conversations' : 'requests'} per run × ${e.runs.length} run${e.runs.length === 1 ? '' : 's'}; servers ${e.point.servers.join(', ')}${balancer}.`,
    '',
  );
  const rows: string[][] = [
    ['Requests', formatCount(s.requests)],
    ['Success rate', formatPercent(s.success_rate)],
    ['Throughput', `${formatNumber(s.requests_per_second)} req/s`],
    ['Wall time', formatMs(s.wall_time_s * 1000)],
  ];
  used.add('requests', 'success_rate', 'throughput', 'wall_time');
  if (s.latency_ms) {
    used.add('latency');
    rows.push(['Latency avg', formatMs(s.latency_ms.avg)]);
    for (const p of options.percentiles) rows.push([`Latency p${p}`, formatMs(s.latency_ms[`p${p}` as `p${Percentile}`])]);
    rows.push(['Latency max', formatMs(s.latency_ms.max)]);
  }
  if (s.ttft_ms) {
    used.add('ttft');
    rows.push(['TTFT p50 / p95', `${formatMs(s.ttft_ms.p50)} / ${formatMs(s.ttft_ms.p95)}`]);
  }
  if (s.itl_ms) {
    used.add('itl');
    rows.push(['ITL p50 / p95', `${formatMs(s.itl_ms.p50)} / ${formatMs(s.itl_ms.p95)}`]);
  }
  if (s.tpot_ms) {
    used.add('tpot');
    rows.push(['TPOT p50', formatMs(s.tpot_ms.p50)]);
  }
  if (s.server_prompt_ms || s.server_tpot_ms) {
    used.add('server_timing');
    if (s.server_prompt_ms)
      rows.push(['Server prompt time p50 / p95', `${formatMs(s.server_prompt_ms.p50)} / ${formatMs(s.server_prompt_ms.p95)}`]);
    if (s.server_tpot_ms) rows.push(['Server decode time per token p50', formatMs(s.server_tpot_ms.p50)]);
  }
  if (s.tokens.input > 0) {
    used.add('tokens');
    const cached = s.tokens.cache_reported > 0 || s.tokens.cached > 0 ? ` (${formatCount(s.tokens.cached)} cached)` : '';
    rows.push(['Input tokens', `${formatCount(s.tokens.input)}${cached}`]);
  }
  if (s.tokens.output > 0) {
    used.add('output_tps', 'tokens');
    const provenance = tokenProvenance(s.tokens);
    const mark = approximateMark(provenance);
    rows.push([
      'Output tokens',
      `${mark}${formatCount(s.tokens.output)} (${mark}${formatNumber(s.tokens.output_tokens_per_second)} tok/s), ${PROVENANCE_TEXT[provenance]}`,
    ]);
  }
  if (s.goodput != null) {
    used.add('goodput');
    rows.push([
      'Goodput',
      `${formatNumber(s.goodput)} req/s (${formatCount(s.slo_met_requests ?? 0)} of ${formatCount(s.successes)} successful requests within every objective)`,
    ]);
    for (const o of s.slo ?? []) {
      rows.push([
        `SLO ${o.metric} ${o.bound} ≤ ${formatMs(o.limit)}`,
        `${formatMs(o.actual)} ${o.met ? '✅ met' : '❌ not met'} (${formatCount(o.met_requests)} requests within)`,
      ]);
    }
  }
  if (s.prefix_cache_hit_rate !== null) {
    used.add('prefix_cache');
    rows.push([
      'Prefix-cache hit rate',
      `${formatPercent(s.prefix_cache_hit_rate)} (${s.prefix_cache_source === 'usage' ? "from the responses' cached_tokens" : "from the servers' counters"})`,
    ]);
  }
  if (s.reconnects > 0 || s.no_reuse_requests > 0) {
    used.add('reconnects');
    rows.push([
      'Connections',
      `${formatCount(s.reconnects)} reconnects, ${formatCount(s.no_reuse_requests)} requests sent without reuse`,
    ]);
  }
  if (s.queued_requests > 0 && s.queue_ms) {
    used.add('queue');
    rows.push(['Queued for a server slot', `${formatCount(s.queued_requests)} requests, p95 wait ${formatMs(s.queue_ms.p95)}`]);
  }
  if (s.barrier) {
    used.add('barrier');
    rows.push([
      'Barrier idle',
      `${formatPercent(s.barrier.idle_fraction)} of slot time over ${formatCount(s.barrier.batches)} batches`,
    ]);
  }
  const failed = FAILURE_KINDS.filter((k) => s.failures[k] > 0);
  if (failed.length) rows.push(['Failures', failed.map((k) => `${formatCount(s.failures[k])} ${k}`).join(', ')]);
  out.push(table(['Metric', 'Value'], rows));
  if (s.turns?.length) {
    used.add('turns');
    const pair = (x: { p50: number; p95: number } | null) => (x ? `${formatMs(x.p50)} / ${formatMs(x.p95)}` : MISSING);
    out.push(
      '',
      table(
        ['Turn', 'Requests', 'Success', 'Latency p50 / p95', 'TTFT p50 / p95', 'Input tokens avg / p95'],
        s.turns.map((t) => [
          String(t.turn),
          formatCount(t.requests),
          t.requests > 0 ? formatPercent(t.successes / t.requests) : MISSING,
          pair(t.latency_ms),
          pair(t.ttft_ms),
          t.input_tokens ? `${formatCount(Math.round(t.input_tokens.avg))} / ${formatCount(t.input_tokens.p95)}` : MISSING,
        ]),
      ),
    );
  }
  if (s.failure_samples.length) {
    out.push(
      '',
      'Failure messages:',
      '',
      ...s.failure_samples.map((f) => `- ${f.kind} × ${formatCount(f.count)}: \`${f.message.replaceAll('`', "'")}\``),
    );
  }
  if (s.servers.length > 1) {
    // One latency column per server: p95 when shown, else the highest percentile shown.
    const serverP: Percentile = options.percentiles.includes(95) ? 95 : options.percentiles.at(-1)!;
    used.add('load_share', 'busy', 'queue');
    out.push(
      '',
      table(
        [
          'Server',
          'Requests',
          'Success',
          'Load share',
          'Busy',
          `Latency p${serverP}`,
          'Queue p95',
          'Taken out',
          ...(s.reconnects > 0 ? ['Reconnects'] : []),
        ],
        s.servers.map((v) => [
          v.id,
          formatCount(v.requests),
          formatPercent(v.success_rate),
          formatPercent(v.load_share),
          formatPercent(v.busy_fraction),
          v.latency_ms ? formatMs(v.latency_ms[`p${serverP}`]) : MISSING,
          v.queued_requests > 0 && v.queue_ms ? formatMs(v.queue_ms.p95) : MISSING,
          v.ejections > 0 ? `${v.ejections}×` : MISSING,
          ...(s.reconnects > 0 ? [formatCount(v.reconnects)] : []),
        ]),
      ),
    );
  }
  return out;
}

/** Points of each sweep experiment, in order. */
function sweeps(results: RunResults): Map<string, ExperimentResult[]> {
  const out = new Map<string, ExperimentResult[]>();
  for (const e of results.experiments) {
    if (!e.sweep) continue;
    out.set(e.experiment, [...(out.get(e.experiment) ?? []), e]);
  }
  return out;
}

function scaling(results: RunResults, used: Used): string[] {
  const groups = sweeps(results);
  if (groups.size === 0) return [];
  used.add('speedup', 'efficiency', 'throughput');
  const out = ['## Scaling'];
  for (const [name, points] of groups) {
    const byServers = new Set(points.map((p) => p.point.servers.length)).size > 1;
    const paced = points.some((p) => p.sweep!.offered_rps !== undefined);
    if (paced) used.add('saturation');
    out.push(
      '',
      `### ${name}`,
      '',
      table(
        [
          'Point',
          'Servers',
          'Concurrency',
          ...(paced ? ['Offered', 'Achieved', 'Saturated'] : []),
          'Throughput',
          'Per server',
          'Speedup',
          ...(byServers ? ['Efficiency'] : []),
          'Latency p95',
          'Success',
        ],
        points.map((p) => [
          p.label,
          String(p.point.servers.length),
          String(p.point.concurrency),
          ...(paced ? saturationCells(p) : []),
          `${formatNumber(p.summary.requests_per_second)} req/s`,
          `${formatNumber(p.sweep!.throughput_per_server)} req/s`,
          formatFactor(p.sweep!.speedup),
          ...(byServers ? [formatPercent(p.sweep!.efficiency)] : []),
          formatMs(p.summary.latency_ms?.p95),
          formatPercent(p.summary.success_rate),
        ]),
      ),
    );
    const found = results.saturation?.find((x) => x.experiment === name);
    if (found) out.push('', saturationLine(found));
  }
  return out;
}

/** A paced sweep point's Offered, Achieved and Saturated cells ("-" for points that were not paced). */
function saturationCells(p: ExperimentResult): string[] {
  const sw = p.sweep!;
  if (sw.offered_rps === undefined) return [MISSING, MISSING, MISSING];
  return [
    `${formatNumber(sw.offered_rps)} req/s`,
    `${formatNumber(sw.achieved_rps ?? 0)} req/s`,
    sw.saturated ? `⚠️ yes (${sw.saturation_reason === 'latency' ? 'latency' : 'throughput'})` : 'no',
  ];
}

function saturationLine(found: Saturation): string {
  const sustained =
    found.max_unsaturated_rps === null
      ? 'no rate was sustained'
      : `sustained up to ${formatNumber(found.max_unsaturated_rps)} req/s`;
  if (found.point === null) return `**Saturation point:** none; every paced point kept up (${sustained}).`;
  return `**Saturation point:** \`${found.point}\`: ${formatNumber(found.achieved_rps ?? 0)} of ${formatNumber(found.offered_rps ?? 0)} req/s offered; ${sustained}.`;
}

function charts(results: RunResults): string[] {
  const blocks: string[] = [];
  const groups = [...sweeps(results).values()];
  // Sweeps over concurrency (same servers), grouped by identical levels so their lines share an axis.
  const concurrency = new Map<string, ExperimentResult[][]>();
  const servers = new Map<string, ExperimentResult[][]>();
  // Rate sweeps: their paced points against the offered rate (a sweep's measuring points are left out).
  const rates = new Map<string, ExperimentResult[][]>();
  for (const all of groups) {
    const paced = all.filter((p) => p.sweep!.offered_rps !== undefined);
    if (paced.length > 0) {
      const key = paced.map((p) => p.sweep!.offered_rps).join(',');
      rates.set(key, [...(rates.get(key) ?? []), paced]);
    }
  }
  for (const points of groups) {
    if (points.some((p) => p.sweep!.offered_rps !== undefined)) continue;
    const byServers = new Set(points.map((p) => p.point.servers.length)).size > 1;
    const key = points.map((p) => (byServers ? p.point.servers.length : p.point.concurrency)).join(',');
    const into = byServers ? servers : concurrency;
    into.set(key, [...(into.get(key) ?? []), points]);
  }
  for (const [key, sets] of concurrency) {
    const categories = key.split(',').map(Number);
    const series = (read: (p: ExperimentResult) => number | null) =>
      sets.map((points) => ({ name: points[0]!.experiment, values: points.map(read) }));
    blocks.push(
      renderChart({
        title: 'Throughput vs concurrency',
        xLabel: 'Concurrency',
        categories,
        yLabel: 'Requests per second',
        series: series((p) => p.summary.requests_per_second),
      })!,
      renderChart({
        title: 'Latency p95 vs concurrency',
        xLabel: 'Concurrency',
        categories,
        yLabel: 'Latency p95 (ms)',
        series: series((p) => p.summary.latency_ms?.p95 ?? null),
      })!,
    );
  }
  for (const [key, sets] of servers) {
    const categories = key.split(',').map(Number);
    blocks.push(
      renderChart({
        title: 'Throughput vs servers',
        xLabel: 'Servers',
        categories,
        yLabel: 'Requests per second',
        series: sets.map((points) => ({ name: points[0]!.experiment, values: points.map((p) => p.summary.requests_per_second) })),
      })!,
    );
  }
  for (const [key, sets] of rates) {
    const categories = key.split(',').map(Number);
    const series = (read: (p: ExperimentResult) => number | null) =>
      sets.map((points) => ({ name: points[0]!.experiment, values: points.map(read) }));
    blocks.push(
      renderChart({
        title: 'Achieved vs offered rate',
        xLabel: 'Offered (req/s)',
        categories,
        yLabel: 'Successful requests per second',
        series: [{ name: 'offered', values: categories }, ...series((p) => p.sweep!.achieved_rps ?? null)],
      })!,
      renderChart({
        title: 'Latency p95 vs offered rate',
        xLabel: 'Offered (req/s)',
        categories,
        yLabel: 'Latency p95 (ms)',
        series: series((p) => p.summary.latency_ms?.p95 ?? null),
      })!,
    );
  }
  const drawn = blocks.filter((b) => b !== null);
  return drawn.length ? ['## Charts', '', drawn.join('\n\n')] : [];
}

/**
 * The review document: question, answer (summary with a winner per metric), setup, scaling tables,
 * charts, per-experiment details and the definitions of the metrics it shows. A pure function of the
 * results, so `llmbench report` re-renders it byte for byte.
 */
export function renderMarkdown(results: RunResults, given: MarkdownOptions = MarkdownOptions.parse({})): string {
  // Percentiles in ascending order, each once (as the console shows them).
  const options = { ...given, percentiles: [...new Set(given.percentiles)].sort((a, b) => a - b) };
  const used = new Used();
  const sections: string[][] = [];
  const head = [`# ${results.scenario.name}`];
  if (results.scenario.description) head.push('', `> **Question:** ${results.scenario.description.trim()}`);
  if (results.status !== 'completed') {
    const partial = results.experiments.filter((e) => e.partial);
    const which = partial.length
      ? `; below are the experiments that ran, of which ${partial.map((e) => `${e.name} is partial (${formatCount(e.summary.requests)} of ${formatCount(e.point.requests * Math.max(1, e.runs.length))} requests)`).join(', ')}`
      : '; only the experiments that finished are below';
    head.push(
      '',
      `> **Warning:** the run ${results.status === 'interrupted' ? 'was interrupted' : 'failed'}${results.error ? ` (${results.error})` : ''}${which}.`,
    );
  }
  for (const w of runWarnings(results)) head.push('', `> **Warning:** ${w}.`);
  sections.push(head);
  sections.push(answer(results, used));
  if (results.thresholds.length > 0) {
    const a = results.aborted_by;
    sections.push([
      '## Thresholds',
      '',
      ...(a
        ? [
            `> **Stopped:** threshold ${a.metric} (abort_on_fail) failed after ${a.experiment}; the remaining experiments were not run.`,
            '',
          ]
        : []),
      table(
        ['Check', 'Experiment', 'Actual', 'Result'],
        results.thresholds.map((t) => [
          `${t.metric}${t.min === undefined ? '' : ` ≥ ${t.min}`}${t.max === undefined ? '' : ` ≤ ${t.max}`}`,
          t.experiment,
          t.actual === null ? MISSING : formatValue(t.actual),
          t.passed ? '✅ pass' : '❌ fail',
        ]),
        ['left', 'left', 'right', 'left'],
      ),
    ]);
  }
  sections.push(scaling(results, used));
  sections.push(charts(results));
  if (results.experiments.length > 0) {
    sections.push([
      '## Experiments',
      '',
      results.experiments.map((e) => experimentDetails(results, e, options, used).join('\n')).join('\n\n'),
    ]);
  }
  sections.push(setup(results));
  const definitions = used.render();
  if (definitions) sections.push(['## Metric definitions', '', definitions, '', 'Formulas in full: llmbench docs/metrics.md.']);
  return `${sections
    .filter((s) => s.length > 0)
    .map((s) => s.join('\n'))
    .join('\n\n')}\n`;
}

export default defineReporter({
  name: 'markdown',
  description:
    'Writes a Markdown report for reviews: summary with a winner per metric, per-server and scaling tables, Mermaid charts.',
  options: MarkdownOptions,
  create(ctx, options) {
    return {
      outputs: () => [ctx.resolveOutput(options.output)],
      async onRunEnd(results) {
        const path = ctx.resolveOutput(options.output);
        await writeFileAtomic(path, renderMarkdown(results, options));
        ctx.fileWritten(path);
      },
    };
  },
});
