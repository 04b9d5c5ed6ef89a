import type { Comparison } from '@llmbench/core';
import {
  formatFactor,
  formatMs,
  formatNumber,
  formatPercent,
  markdownTable,
  MISSING,
  textTable,
} from '@llmbench/plugin-api/format';

/** Column names: the files' short names, or A, B, C... (with a legend) when those are long. */
function columns(c: Comparison): { names: string[]; legend: string[] } {
  if (c.labels.every((l) => l.length <= 16)) return { names: [...c.labels], legend: [] };
  const names = c.labels.map((_, i) => String.fromCharCode(65 + (i % 26)) + (i >= 26 ? String(Math.floor(i / 26)) : ''));
  return { names, legend: c.labels.map((l, i) => `${names[i]} = ${l} (scenario ${c.scenarios[i]})`) };
}

/** Column headers and cells of a comparison, shared by the text and Markdown renderings. */
function grid(c: Comparison): { header: string[]; rows: string[][]; legend: string[] } {
  const { names, legend } = columns(c);
  const others = names.slice(1);
  const header = [
    'Experiment',
    ...names.map((l) => `${l} (req/s)`),
    ...others.map((l) => (names.length > 2 ? `Speedup ${l}` : 'Speedup')),
    ...names.map((l) => `${l} p95`),
    ...names.map((l) => `${l} success`),
  ];
  const rows = c.rows.map((r) => [
    r.name,
    ...r.cells.map((x) => (x ? formatNumber(x.requests_per_second) : MISSING)),
    ...r.speedup.slice(1).map(formatFactor),
    ...r.cells.map((x) => (x ? formatMs(x.p95_ms) : MISSING)),
    ...r.cells.map((x) => (x ? formatPercent(x.success_rate) : MISSING)),
  ]);
  return { header, rows, legend };
}

function title(c: Comparison): string {
  const scenarios = [...new Set(c.scenarios)];
  return `PERFORMANCE COMPARISON (${scenarios.length === 1 ? `scenario ${scenarios[0]}` : `scenarios ${scenarios.join(' vs ')}`}; speedup = req/s / ${columns(c).names[0]}'s req/s)`;
}

/** The seed script's table, for a terminal. */
export function renderComparisonText(c: Comparison): string {
  const { header, rows, legend } = grid(c);
  const t = title(c);
  return [t, '='.repeat(Math.min(100, t.length)), ...legend, ...(legend.length ? [''] : []), textTable(header, rows), ''].join(
    '\n',
  );
}

/** The same table as GitHub-flavoured Markdown, for a review. */
export function renderComparisonMarkdown(c: Comparison): string {
  const { header, rows, legend } = grid(c);
  const scenarios = [...new Set(c.scenarios)];
  return [
    '## Performance comparison',
    '',
    `Scenario${scenarios.length > 1 ? 's' : ''}: ${scenarios.map((s) => `\`${s}\``).join(', ')}. Files: ${c.labels.map((l) => `\`${l}\``).join(', ')}. Speedup is each file's requests per second divided by \`${c.labels[0]}\`'s; p95 is the 95th percentile latency of successful requests.`,
    '',
    ...legend.map((l) => `- ${l}`),
    ...(legend.length ? [''] : []),
    markdownTable(header, rows),
    '',
  ].join('\n');
}
