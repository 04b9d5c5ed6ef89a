import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { compareResults } from '@llmbench/core';
import { RunResultsSchema, type RunResults } from '@llmbench/plugin-api';
import { renderComparisonMarkdown, renderComparisonText } from './compare.js';
import { renderReport } from './report.js';

/** Results files of real runs, kept with the Markdown reporter's tests. */
async function fixture(name: string): Promise<RunResults> {
  const text = await readFile(
    new URL(`../../../plugins/reporter-markdown/src/__fixtures__/${name}.json`, import.meta.url),
    'utf8',
  );
  return RunResultsSchema.parse(JSON.parse(text));
}

/** One experiment's figures as the console prints them under "Results:". */
function consoleFigures(text: string, name: string): Record<string, string> {
  const block = text.slice(text.indexOf(`EXPERIMENT: ${name} (`)).split('\n\n')[0]!;
  const line = (label: string) => new RegExp(`^ {2}${label}: (.*)$`, 'm').exec(block)?.[1];
  return {
    requests: line('Requests')!,
    throughput: `${line('Requests/sec')} req/s`,
    success: line('Success rate')!,
    p95: line('P95 response time')!,
    wall: line('Total time')!,
    output: /output (\S+),/.exec(line('Tokens') ?? '')?.[1] ?? '',
  };
}

/** The same figures from the experiment's table in the Markdown. */
function markdownFigures(text: string, name: string): Record<string, string> {
  const start = text.indexOf(`### ${name}\n`);
  const block = text.slice(start, text.indexOf('\n### ', start + 1));
  const row = (label: string) => new RegExp(`^\\| ${label} \\| (.*) \\|$`, 'm').exec(block)?.[1];
  return {
    requests: row('Requests')!,
    throughput: row('Throughput')!,
    success: row('Success rate')!,
    p95: row('Latency p95')!,
    wall: row('Wall time')!,
    output: /^(\S+) \(/.exec(row('Output tokens') ?? '')?.[1] ?? '',
  };
}

describe.each(['quickstart', 'single-vs-cluster'])('%s', (name) => {
  test('the console and the Markdown write every figure alike', async () => {
    const results = await fixture(name);
    const text = renderReport(results, 'console');
    const md = renderReport(results, 'md');
    for (const e of results.experiments) expect(consoleFigures(text, e.name), e.name).toEqual(markdownFigures(md, e.name));
  });

  test('compare writes throughput, p95 and success rate as the reports do', async () => {
    const results = await fixture(name);
    const comparison = compareResults(
      [
        { file: '/x/a.json', results },
        { file: '/x/b.json', results },
      ],
      '/x',
    );
    const md = renderReport(results, 'md');
    const text = renderComparisonText(comparison);
    const table = renderComparisonMarkdown(comparison);
    for (const e of results.experiments) {
      const f = markdownFigures(md, e.name);
      const cells = [
        f.throughput!.replace(' req/s', ''),
        f.throughput!.replace(' req/s', ''),
        '1.00x',
        f.p95,
        f.p95,
        f.success,
        f.success,
      ];
      expect(
        text
          .split('\n')
          .find((l) => l.startsWith(`${e.name} `))
          ?.trim()
          .split(/\s+/)
          .slice(1),
        e.name,
      ).toEqual(cells);
      expect(table, e.name).toContain(`| ${e.name} | ${cells.join(' | ')} |`);
    }
  });
});
