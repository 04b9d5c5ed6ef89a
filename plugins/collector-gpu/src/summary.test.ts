import { expect, test } from 'vitest';
import type { MetricSummary } from '@llmbench/plugin-api';
import { gpuSummary } from './summary.js';

const m = (avg: number, max: number): MetricSummary => ({ first: avg, last: avg, min: avg, max, avg, samples: 3 });

test("average and peak of memory used (with the total) and of utilization, from this collector's names", () => {
  expect(
    gpuSummary({
      'server:vllm': { kv_cache_usage: m(0.2, 0.4) },
      gpu: { gpu_memory_used_mb: m(30000.5, 31000), gpu_memory_total_mb: m(81920, 81920), gpu_utilization_pct: m(61.25, 97) },
    }),
  ).toEqual({
    memory: { avg: 30000.5, peak: 31000, totalMb: 81920, unit: 'MiB' },
    utilization: { avg: 61.25, peak: 97 },
  });
});

test("another collector's GPU memory metric is shown without a unit; none at all gives null", () => {
  expect(gpuSummary({ './mine.js': { gpu_memory_gb: m(11, 12) } })).toEqual({ memory: { avg: 11, peak: 12 } });
  expect(gpuSummary({ 'server:v': { requests_running: m(1, 2) } })).toBeNull();
  expect(gpuSummary({})).toBeNull();
});
