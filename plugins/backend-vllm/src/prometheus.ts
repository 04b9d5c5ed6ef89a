import { pickMetric, type Aggregate } from '@llmbench/backend-openai';

/**
 * vLLM readings by our names, from the V1 metric names (vllm/v1/metrics/loggers.py), falling back to
 * the names deprecated in 0.9 and to V0's: prefix-cache counters are in tokens; KV-cache usage is a
 * fraction (1 = full).
 */
export function vllmReadings(samples: ReadonlyMap<string, Aggregate>): Record<string, number> {
  const pick = (how: 'sum' | 'mean', ...names: string[]): number | undefined => pickMetric(samples, how, ...names);
  // Counters and request counts add up over engines; usage fractions and hit rates are averaged.
  const readings: Record<string, number | undefined> = {
    prefix_cache_queries: pick('sum', 'vllm:prefix_cache_queries_total', 'vllm:gpu_prefix_cache_queries_total'),
    prefix_cache_hits: pick('sum', 'vllm:prefix_cache_hits_total', 'vllm:gpu_prefix_cache_hits_total'),
    prefix_cache_hit_rate_v0: pick('mean', 'vllm:gpu_prefix_cache_hit_rate'),
    kv_cache_usage: pick('mean', 'vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'),
    requests_running: pick('sum', 'vllm:num_requests_running'),
    requests_waiting: pick('sum', 'vllm:num_requests_waiting'),
    prompt_tokens: pick('sum', 'vllm:prompt_tokens_total'),
    generation_tokens: pick('sum', 'vllm:generation_tokens_total'),
  };
  return Object.fromEntries(Object.entries(readings).filter((e): e is [string, number] => e[1] !== undefined));
}
