import { expect, test } from 'vitest';
import { parsePrometheus } from '@llmbench/backend-openai';
import { vllmReadings } from './prometheus.js';

const V1_TWO_ENGINES = `# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.5
vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.25
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="m"} 1000.0
vllm:prefix_cache_queries_total{engine="1",model_name="m"} 500.0
vllm:prefix_cache_queries_created{engine="0",model_name="m"} 1.7882e+09
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{engine="0",model_name="m"} 300.0
vllm:prefix_cache_hits_total{engine="1",model_name="m"} 150.0
vllm:num_requests_running{engine="0",model_name="m"} 3.0
vllm:num_requests_running{engine="1",model_name="m"} 4.0
`;

test('V1 metrics: counters and request counts sum over engines, the usage gauge is averaged, _created is ignored', () => {
  expect(vllmReadings(parsePrometheus(V1_TWO_ENGINES))).toEqual({
    kv_cache_usage: 0.375,
    prefix_cache_queries: 1500,
    prefix_cache_hits: 450,
    requests_running: 7,
  });
});

test('V0 and 0.9-deprecated names are read when the V1 ones are absent', () => {
  const text = `vllm:gpu_cache_usage_perc{model_name="m"} 0.12
vllm:gpu_prefix_cache_hit_rate{model_name="m"} 0.43
vllm:gpu_prefix_cache_queries_total{model_name="m"} 10
vllm:gpu_prefix_cache_hits_total{model_name="m"} 4
vllm:num_requests_waiting{model_name="m"} 2
`;
  expect(vllmReadings(parsePrometheus(text))).toEqual({
    kv_cache_usage: 0.12,
    prefix_cache_hit_rate_v0: 0.43,
    prefix_cache_queries: 10,
    prefix_cache_hits: 4,
    requests_waiting: 2,
  });
});
