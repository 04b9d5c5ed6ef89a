import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { RunResultsSchema, type MetricSummary, type RunResults } from '@llmbench/plugin-api';
import { renderMarkdown } from './index.js';

const m = (avg: number, max: number): MetricSummary => ({ first: avg, last: avg, min: avg, max, avg, samples: 5 });

async function quickstartWith(collectors: RunResults['experiments'][number]['summary']['collectors'][]): Promise<RunResults> {
  const results = RunResultsSchema.parse(
    JSON.parse(await readFile(new URL('./__fixtures__/quickstart.json', import.meta.url), 'utf8')),
  );
  return {
    ...results,
    experiments: results.experiments.map((e, i) => ({ ...e, summary: { ...e.summary, collectors: collectors[i] ?? {} } })),
  };
}

test('the summary table has GPU memory and utilization rows, average / peak per experiment', async () => {
  const results = await quickstartWith([
    { gpu: { gpu_memory_used_mb: m(30511.6, 31024), gpu_memory_total_mb: m(81920, 81920), gpu_utilization_pct: m(61.25, 97) } },
    { gpu: { gpu_memory_used_mb: m(15000, 15000), gpu_memory_total_mb: m(81920, 81920), gpu_utilization_pct: m(40, 55.5) } },
  ]);
  const text = renderMarkdown(results);
  const answer = text.slice(text.indexOf('## Answer'), text.indexOf('\n\n## ', text.indexOf('## Answer')));
  expect(answer.split('\n').filter((l) => l.includes('GPU'))).toEqual([
    '| **GPU memory (avg / peak)** | 30,512 / 31,024 of 81,920 MiB | 15,000 / 15,000 of 81,920 MiB | - |',
    '| **GPU utilization (avg / peak)** | 61.3% / 97.0% | 40.0% / 55.5% | - |',
  ]);
  expect(text).toContain('- **GPU memory (avg / peak)**: GPU memory used, summed over the GPUs read');
  expect(text).toContain('- **GPU utilization (avg / peak)**: percent of the time');
});

test('an experiment without GPU readings shows "-"; a run without any has no GPU rows', async () => {
  const one = renderMarkdown(await quickstartWith([{}, { gpu: { gpu_utilization_pct: m(12, 20) } }]));
  expect(one.split('\n').filter((l) => l.includes('GPU') && l.startsWith('|'))).toEqual([
    '| **GPU utilization (avg / peak)** | - | 12.0% / 20.0% | - |',
  ]);
  expect(renderMarkdown(await quickstartWith([{}, {}]))).not.toContain('GPU');
});
