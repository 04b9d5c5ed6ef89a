import { z } from 'zod';
import { defineReporter, FAILURE_KINDS, type ExperimentResult, type RunResults, type SummaryStats } from '@llmbench/plugin-api';
import { formatMs, formatPercent, formatRate, table } from './format.js';

export { formatMs, formatPercent, formatRate, table } from './format.js';

/** The per-experiment block, in the seed guide's layout ("Results:", "Worker utilization:"). */
export function renderExperiment(e: ExperimentResult): string {
  const s = e.summary;
  const params = Object.entries(e.params).map(([k, v]) => `${k}=${v}`).join(', ');
  const lines = [
    `EXPERIMENT: ${e.name} (${e.strategy.name}${params ? `, ${params}` : ''})`,
    'Results:',
    `  Requests: ${s.requests}${e.runs.length > 1 ? ` over ${e.runs.length} runs` : ''}`,
    `  Requests/sec: ${formatRate(s.requests_per_second)}`,
    `  Success rate: ${formatPercent(s.success_rate)}`,
    `  Avg response time: ${formatMs(s.latency_ms?.avg)}`,
    `  P50 response time: ${formatMs(s.latency_ms?.p50)}`,
    `  P95 response time: ${formatMs(s.latency_ms?.p95)}`,
    `  P99 response time: ${formatMs(s.latency_ms?.p99)}`,
    `  Total time: ${formatMs(s.wall_time_s * 1000)}`,
  ];
  if (s.ttft_ms) lines.push(`  TTFT p50/p95: ${formatMs(s.ttft_ms.p50)} / ${formatMs(s.ttft_ms.p95)}`);
  if (s.itl_ms) lines.push(`  ITL p50/p95: ${formatMs(s.itl_ms.p50)} / ${formatMs(s.itl_ms.p95)}`);
  if (s.tpot_ms) lines.push(`  TPOT p50: ${formatMs(s.tpot_ms.p50)}`);
  if (s.tokens.output > 0) lines.push(`  Output tokens/sec: ${formatRate(s.tokens.output_tokens_per_second)}`);
  if (s.prefix_cache_hit_rate !== null) lines.push(`  Prefix cache hit rate: ${formatPercent(s.prefix_cache_hit_rate)}`);
  if (s.barrier) {
    lines.push(`  Barrier idle: ${formatPercent(s.barrier.idle_fraction)} of slot time over ${s.barrier.batches} batches`);
  }
  const failures = failureText(s);
  if (failures) lines.push(`  Failures: ${failures}`);
  lines.push('', 'Worker utilization:');
  for (const server of s.servers) {
    const extra = [
      `busy ${formatPercent(server.busy_fraction)}`,
      ...(server.queued_requests > 0 && server.queue_ms ? [`queue p95 ${formatMs(server.queue_ms.p95)}`] : []),
      ...(server.ejections > 0 ? [`taken out ${server.ejections}x`] : []),
    ];
    lines.push(`  ${server.id}: ${server.requests} requests, ${formatPercent(server.success_rate)} success rate, ${formatPercent(server.load_share)} of load, ${extra.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function failureText(s: SummaryStats): string {
  return FAILURE_KINDS.filter((k) => s.failures[k] > 0).map((k) => `${s.failures[k]} ${k}`).join(', ');
}

/** The closing comparison of every experiment, plus threshold verdicts. */
export function renderSummary(results: RunResults): string {
  const out: string[] = [];
  if (results.experiments.length > 1) {
    out.push('SUMMARY');
    out.push(
      table(
        ['Experiment', 'Req/s', 'Avg', 'P50', 'P95', 'P99', 'Success', 'Total'],
        results.experiments.map((e) => {
          const s = e.summary;
          return [e.name, formatRate(s.requests_per_second), formatMs(s.latency_ms?.avg), formatMs(s.latency_ms?.p50), formatMs(s.latency_ms?.p95), formatMs(s.latency_ms?.p99), formatPercent(s.success_rate), formatMs(s.wall_time_s * 1000)];
        }),
      ),
    );
  }
  if (results.thresholds.length > 0) {
    out.push('', 'Thresholds:');
    for (const t of results.thresholds) {
      const bound = [t.min === undefined ? '' : `>= ${t.min}`, t.max === undefined ? '' : `<= ${t.max}`].filter(Boolean).join(' and ');
      out.push(`  ${t.passed ? 'PASS' : 'FAIL'}  ${t.experiment}: ${t.metric} ${bound} (actual ${t.actual ?? 'none'})`);
    }
  }
  if (results.status !== 'completed') out.push('', `Run ${results.status}${results.error ? `: ${results.error}` : ''}. Results cover the experiments that ran.`);
  return out.length ? `${out.join('\n')}\n` : '';
}

export default defineReporter({
  name: 'console',
  description: 'Prints each experiment\'s summary as it ends and a comparison at the end.',
  options: z.strictObject({}),
  create(ctx) {
    return {
      onRunStart(info) {
        ctx.out.write(`llmbench: ${info.scenario}${info.description ? ` - ${info.description}` : ''}\n\n`);
      },
      onExperimentEnd(experiment) {
        ctx.out.write(`${renderExperiment(experiment)}\n`);
      },
      onRunEnd(results) {
        ctx.out.write(renderSummary(results));
      },
    };
  },
});
