import { readFile } from 'node:fs/promises';
import MarkdownIt from 'markdown-it';
import { describe, expect, test } from 'vitest';
import { HEADLINE_METRICS, RunResultsSchema, type RunResults } from '@llmbench/plugin-api';
import { MarkdownOptions, niceMax, renderChart, renderMarkdown, winner } from './index.js';

/**
 * Fixtures are results files of real runs (see __fixtures__/README.md): the quickstart, the same
 * with 3 runs (confidence intervals), a benchmark with both sweeps (scaling) and single vs cluster
 * over three servers (multi-server).
 */
const FIXTURES = ['quickstart', 'quickstart-runs', 'benchmark-scaling', 'single-vs-cluster'] as const;

async function fixture(name: string): Promise<RunResults> {
  const text = await readFile(new URL(`./__fixtures__/${name}.json`, import.meta.url), 'utf8');
  return RunResultsSchema.parse(JSON.parse(text));
}

const md = new MarkdownIt();

/** The strict subset of Mermaid's xychart grammar the reporter writes, checked line by line. */
function checkXychart(block: string): string[] {
  const problems: string[] = [];
  const lines = block
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  let i = 0;
  if (lines[i]?.startsWith('%%{')) {
    const m = /^%%\{init: (.*)\}%%$/.exec(lines[i]!);
    if (!m) problems.push(`bad directive: ${lines[i]}`);
    else {
      try {
        JSON.parse(m[1]!);
      } catch {
        problems.push(`directive is not JSON: ${m[1]}`);
      }
    }
    i++;
  }
  if (lines[i] !== 'xychart-beta') problems.push(`expected "xychart-beta", got ${lines[i]}`);
  i++;
  const str = '"[^"]*"';
  const numRe = '-?\\d+(?:\\.\\d+)?';
  let categories = -1;
  let series = 0;
  let sawY = false;
  for (; i < lines.length; i++) {
    const l = lines[i]!;
    if (new RegExp(`^title ${str}$`).test(l)) continue;
    const axis = new RegExp(`^x-axis ${str} \\[((?:${numRe}|${str})(?:, (?:${numRe}|${str}))*)\\]$`).exec(l);
    if (axis) {
      categories = axis[1]!.split(', ').length;
      continue;
    }
    if (new RegExp(`^y-axis ${str} ${numRe} --> ${numRe}$`).test(l)) {
      sawY = true;
      continue;
    }
    const data = new RegExp(`^(?:line|bar) \\[(${numRe}(?:, ${numRe})*)\\]$`).exec(l);
    if (data) {
      series++;
      const n = data[1]!.split(', ').length;
      if (n !== categories) problems.push(`series of ${n} values on an x-axis of ${categories}`);
      continue;
    }
    problems.push(`not xychart syntax: ${l}`);
  }
  if (categories < 0) problems.push('no x-axis with categories');
  if (!sawY) problems.push('no y-axis range');
  if (series === 0) problems.push('no line or bar');
  return problems;
}

describe.each(FIXTURES)('%s', (name) => {
  test('renders the same document as its snapshot', async () => {
    await expect(renderMarkdown(await fixture(name))).toMatchFileSnapshot(`./__snapshots__/${name}.md`);
  });

  test('parses as Markdown: headings, tables with consistent columns, no empty sections', async () => {
    const text = renderMarkdown(await fixture(name));
    const tokens = md.parse(text, {});
    const headings = tokens.filter((t) => t.type === 'heading_open');
    expect(headings[0]!.tag).toBe('h1');
    // Every section has content before the next heading of the same or higher level.
    for (let k = 0; k < tokens.length; k++) {
      if (tokens[k]!.type !== 'heading_open') continue;
      const level = Number(tokens[k]!.tag.slice(1));
      const next = tokens.findIndex((t, j) => j > k + 2 && t.type === 'heading_open' && Number(t.tag.slice(1)) <= level);
      const body = tokens
        .slice(k + 3, next < 0 ? tokens.length : next)
        .filter((t) => t.type !== 'heading_open' && t.type !== 'heading_close' && t.type !== 'inline');
      expect(body.length, `section "${tokens[k + 1]!.content}" is empty`).toBeGreaterThan(0);
    }
    // Tables: every row has as many cells as its header.
    let columns = 0;
    let inHead = false;
    for (const t of tokens) {
      if (t.type === 'thead_open') {
        inHead = true;
        columns = 0;
      } else if (t.type === 'thead_close') inHead = false;
      else if (t.type === 'th_open' && inHead) columns++;
      else if (t.type === 'tr_open' && !inHead) {
        const row = tokens.slice(tokens.indexOf(t) + 1);
        const cells = row
          .slice(
            0,
            row.findIndex((x) => x.type === 'tr_close'),
          )
          .filter((x) => x.type === 'td_open').length;
        expect(cells).toBe(columns);
      }
    }
    expect(tokens.some((t) => t.type === 'table_open')).toBe(true);
  });

  test('every Mermaid block is valid xychart syntax', async () => {
    const tokens = md.parse(renderMarkdown(await fixture(name)), {});
    for (const block of tokens.filter((t) => t.type === 'fence' && t.info === 'mermaid')) {
      expect(checkXychart(block.content)).toEqual([]);
    }
  });
});

test('a scaling run has throughput and p95 charts against concurrency and a throughput chart against servers', async () => {
  const text = renderMarkdown(await fixture('benchmark-scaling'));
  expect(text).toContain('title "Throughput vs concurrency"');
  expect(text).toContain('title "Latency p95 vs concurrency"');
  expect(text).toContain('title "Throughput vs servers"');
  expect(text).toMatch(/\| Point \| Servers \| Concurrency \| Throughput \| Per server \| Speedup \| Efficiency \|/);
});

test('with several runs, winners are named only where the 95% intervals separate', async () => {
  const results = await fixture('quickstart-runs');
  const [a, b] = results.experiments;
  const throughput = HEADLINE_METRICS.find((m) => m.key === 'requests_per_second')!;
  const overlapping = structuredClone([a!, b!]);
  overlapping[0]!.intervals!.requests_per_second = { mean: 100, low: 90, high: 110, n: 3 };
  overlapping[1]!.intervals!.requests_per_second = { mean: 105, low: 95, high: 115, n: 3 };
  expect(winner(throughput, overlapping)).toBe('≈ no clear winner (95% CIs overlap)');
  overlapping[1]!.intervals!.requests_per_second = { mean: 130, low: 120, high: 140, n: 3 };
  expect(winner(throughput, overlapping)).toBe(`🏆 ${b!.name} (+30%)`);
  expect(renderMarkdown(results)).toContain('values are the mean ± the half-width of its 95% confidence interval');
});

test('the percentiles option chooses the latency rows', async () => {
  const text = renderMarkdown(await fixture('quickstart'), MarkdownOptions.parse({ percentiles: [90] }));
  expect(text).toContain('| Latency p90 |');
  expect(text).not.toContain('| Latency p99 |');
});

test('y-axis bounds are round numbers above the data', () => {
  expect([niceMax(243), niceMax(8), niceMax(1000), niceMax(0)]).toEqual([300, 10, 1200, 1]);
});

test('the grammar check itself rejects broken charts', () => {
  expect(checkXychart('xychart-beta\n  x-axis "c" [1, 2]\n  y-axis "r" 0 --> 10\n  line [1, 2, 3]')).toEqual([
    'series of 3 values on an x-axis of 2',
  ]);
  expect(checkXychart('xychart\n  line [1]').length).toBeGreaterThan(1);
});

test('a series with a missing point is not drawn at 0 (as if it were the best): it is left out and named', () => {
  const chart = renderChart({
    title: 'Latency p95 vs concurrency',
    xLabel: 'Concurrency',
    categories: [1, 5, 10],
    yLabel: 'ms',
    series: [
      { name: 'ok', values: [10, 20, 30] },
      { name: 'broken', values: [10, null, 30] },
    ],
  })!;
  expect(chart).toContain('line [10, 20, 30]');
  expect(chart).not.toContain('line [10, 0, 30]');
  expect(chart).toContain('*Not drawn (no value at some points):* broken.');
  expect(checkXychart(chart.split('```mermaid\n')[1]!.split('```')[0]!)).toEqual([]);
});

test('an experiment that fails more cannot win on speed', async () => {
  const results = await fixture('quickstart');
  const [a, b] = structuredClone(results.experiments);
  const throughput = HEADLINE_METRICS.find((m) => m.key === 'requests_per_second')!;
  a!.summary.requests_per_second = 900;
  a!.summary.success_rate = 0;
  b!.summary.requests_per_second = 40;
  b!.summary.success_rate = 1;
  expect(winner(throughput, [a!, b!])).toBe('-');
  const success = HEADLINE_METRICS.find((m) => m.key === 'success_rate')!;
  expect(winner(success, [a!, b!])).toBe(`🏆 ${b!.name} (+100.0 points)`);
});

test('goodput gets an Answer row with a winner, and each experiment its SLO verdicts', async () => {
  const results = structuredClone(await fixture('quickstart'));
  const [a, b] = results.experiments;
  const slo = (actual: number, within: number) => [
    { metric: 'ttft_ms' as const, bound: 'p95', limit: 50, actual, met: actual <= 50, met_requests: within },
  ];
  Object.assign(a!.summary, { goodput: 12, slo_met_requests: 30, slo_met: false, slo: slo(80, 30) });
  Object.assign(b!.summary, { goodput: 24, slo_met_requests: 60, slo_met: true, slo: slo(40, 60) });
  const doc = renderMarkdown(results);
  expect(doc).toContain(`| **Goodput** | 12.0 req/s | 24.0 req/s | 🏆 ${b!.name} (+100%) |`);
  expect(doc).toMatch(/\| SLO ttft_ms p95 ≤ 50\.0ms \| 80\.0ms ❌ not met \(30 requests within\) \|/);
  expect(doc).toMatch(/\| SLO ttft_ms p95 ≤ 50\.0ms \| 40\.0ms ✅ met \(60 requests within\) \|/);
  expect(doc).toContain('- **Goodput**: successful requests within every');
});

test('results without goodput (older files) show no goodput row', async () => {
  expect(renderMarkdown(await fixture('quickstart'))).not.toContain('Goodput');
});

/** The scaling fixture's concurrency sweep recast as a rate sweep at 20, 100, 200 and 400 req/s; 400 saturated. */
async function rateSweep(): Promise<RunResults> {
  const results = structuredClone(await fixture('benchmark-scaling'));
  const points = results.experiments.filter((e) => e.experiment === 'concurrency');
  [20, 100, 200, 400].forEach((rate, i) => {
    const p = points[i]!;
    p.label = `rate=${rate}`;
    p.name = `concurrency/rate=${rate}`;
    p.sweep = {
      ...p.sweep!,
      offered_rps: rate,
      achieved_rps: p.summary.requests_per_second,
      saturated: rate === 400,
      ...(rate === 400 ? { saturation_reason: 'throughput' as const } : {}),
    };
  });
  return {
    ...results,
    experiments: points,
    labels: { gpu: 'A100', commit: 'abc123' },
    saturation: [
      {
        experiment: 'concurrency',
        point: 'concurrency/rate=400',
        offered_rps: 400,
        achieved_rps: 275.78,
        max_unsaturated_rps: 200,
      },
    ],
  };
}

test("a rate sweep's table shows offered and achieved rates and marks the saturated point, then names the saturation point", async () => {
  const text = renderMarkdown(await rateSweep());
  expect(text).toContain('| Point | Servers | Concurrency | Offered | Achieved | Saturated | Throughput |');
  expect(text).toMatch(/\| rate=200 \| 3 \| 10 \| 200 req\/s \| 205 req\/s \| no \|/);
  expect(text).toMatch(/\| rate=400 \| 3 \| 20 \| 400 req\/s \| 276 req\/s \| ⚠️ yes \(throughput\) \|/);
  expect(text).toContain('**Saturation point:** `concurrency/rate=400`: 276 of 400 req/s offered; sustained up to 200 req/s.');
  expect(text).toContain('- **Saturated**: a paced sweep point whose successful requests per second');
});

test('a rate sweep is charted against the offered rate, with the offered rate as a reference line', async () => {
  const text = renderMarkdown(await rateSweep());
  expect(text).toContain('title "Achieved vs offered rate"');
  expect(text).toContain('x-axis "Offered (req/s)" [20, 100, 200, 400]');
  expect(text).toContain('line [20, 100, 200, 400]');
  expect(text).toContain('title "Latency p95 vs offered rate"');
  expect(text).not.toContain('title "Throughput vs concurrency"');
  for (const block of md.parse(text, {}).filter((t) => t.type === 'fence' && t.info === 'mermaid'))
    expect(checkXychart(block.content)).toEqual([]);
});

test("the Setup table lists the run's labels", async () => {
  expect(renderMarkdown(await rateSweep())).toContain('| Labels | gpu=A100, commit=abc123 |');
  expect(renderMarkdown(await fixture('quickstart'))).not.toContain('| Labels |');
});
