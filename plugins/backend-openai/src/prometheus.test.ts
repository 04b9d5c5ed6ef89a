import { expect, test } from 'vitest';
import { metricFamilies, parsePrometheus, pickMetric, wrongServerMessage } from './prometheus.js';

const TWO_ENGINES = `# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.5
vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.25
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="m"} 1000.0
vllm:prefix_cache_queries_total{engine="1",model_name="m"} 500.0
vllm:prefix_cache_queries_created{engine="0",model_name="m"} 1.7882e+09
`;

test('samples are summed and counted over label sets; comments and _created series are skipped', () => {
  const samples = parsePrometheus(TWO_ENGINES);
  expect(Object.fromEntries(samples)).toEqual({
    'vllm:kv_cache_usage_perc': { sum: 0.75, count: 2 },
    'vllm:prefix_cache_queries_total': { sum: 1500, count: 2 },
  });
  expect(pickMetric(samples, 'mean', 'vllm:gpu_cache_usage_perc', 'vllm:kv_cache_usage_perc')).toBe(0.375);
  expect(pickMetric(samples, 'sum', 'vllm:none')).toBeUndefined();
});

test('unlabelled lines, label values with spaces and braces, and timestamps are read', () => {
  const samples = parsePrometheus('llamacpp:prompt_tokens_total 31\nx{path="/a b}"} 2 1700000000000\nbad NaN\n');
  expect(Object.fromEntries(samples)).toEqual({ 'llamacpp:prompt_tokens_total': { sum: 31, count: 1 }, x: { sum: 2, count: 1 } });
});

test('the known metric families of a scrape are named', () => {
  expect(metricFamilies(parsePrometheus('llamacpp:requests_processing 0\ntgi_queue_size 1\n')).map((f) => f.prefix)).toEqual([
    'llamacpp:',
    'tgi_',
  ]);
});

test('a scrape without the expected family says what it holds and which backend reads it', () => {
  const llama = parsePrometheus('llamacpp:prompt_tokens_total 31\n');
  expect(wrongServerMessage('/metrics', 'vllm:', llama)).toBe(
    'GET /metrics answered without vllm: metrics (found llamacpp: metrics (llama.cpp)); use the llamacpp backend',
  );
  expect(wrongServerMessage('/metrics', 'llamacpp:', llama)).toBeUndefined();
  expect(wrongServerMessage('/metrics', 'llamacpp:', parsePrometheus('sglang:num_running_reqs 1\n'))).toBe(
    'GET /metrics answered without llamacpp: metrics (found sglang: metrics (SGLang)); no built-in backend reads them: set scrape_metrics: false',
  );
  expect(wrongServerMessage('/m', 'vllm:', parsePrometheus('process_cpu_seconds_total 3\n'))).toBe(
    'GET /m answered without vllm: metrics (found 1 metric, none of a known server); check metrics_path, or set scrape_metrics: false',
  );
});
