import { expect, test } from 'vitest';
import type { ExperimentResult, MetricSummary } from '@llmbench/plugin-api';
import { experiment } from './__fixtures__/results.js';
import { renderExperiment } from './index.js';

const m = (avg: number, max: number): MetricSummary => ({ first: avg, last: avg, min: avg, max, avg, samples: 4 });
const withCollectors = (collectors: ExperimentResult['summary']['collectors']): ExperimentResult => {
  const e = experiment('a');
  return { ...e, summary: { ...e.summary, collectors } };
};

test('the experiment block shows GPU memory and utilization, average and peak', () => {
  const text = renderExperiment(
    withCollectors({
      gpu: { gpu_memory_used_mb: m(30511.6, 31024), gpu_memory_total_mb: m(81920, 81920), gpu_utilization_pct: m(61.25, 97) },
    }),
  );
  expect(text).toContain('  GPU memory: avg 30,512 / peak 31,024 of 81,920 MiB\n  GPU utilization: avg 61.3% / peak 97.0%\n');
});

test('no GPU readings, no GPU lines', () => {
  expect(renderExperiment(withCollectors({ 'server:v': { kv_cache_usage: m(0.1, 0.2) } }))).not.toContain('GPU');
});
