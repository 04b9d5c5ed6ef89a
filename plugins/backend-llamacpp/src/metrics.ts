import { pickMetric, type Aggregate } from '@llmbench/backend-openai';

/**
 * llama.cpp readings by our names, from llama-server's `llamacpp:` metrics (tools/server/server.cpp).
 * `llamacpp:prompt_tokens_total` counts only the prompt tokens a slot processed, not those it reused
 * from its cache (`llamacpp:prompt_tokens_cached_total`), so every prompt token looked up is their
 * sum: the prefix-cache pair is cached / (processed + cached), what responses' usage calls
 * cached_tokens / prompt_tokens. KV-cache figures are read when the build exposes them (older ones).
 */
export function llamacppReadings(samples: ReadonlyMap<string, Aggregate>): Record<string, number> {
  const sum = (name: string): number | undefined => pickMetric(samples, 'sum', `llamacpp:${name}`);
  const prompt = sum('prompt_tokens_total');
  const cached = sum('prompt_tokens_cached_total');
  const readings: Record<string, number | undefined> = {
    prompt_tokens: prompt,
    prompt_tokens_cached: cached,
    tokens_predicted: sum('tokens_predicted_total'),
    requests_processing: sum('requests_processing'),
    requests_deferred: sum('requests_deferred'),
    kv_cache_usage: pickMetric(samples, 'mean', 'llamacpp:kv_cache_usage_ratio'),
    kv_cache_tokens: sum('kv_cache_tokens'),
    decode_calls: sum('n_decode_total'),
    busy_slots_per_decode: pickMetric(samples, 'mean', 'llamacpp:n_busy_slots_per_decode'),
    ...(prompt === undefined || cached === undefined ? {} : { prefix_cache_hits: cached, prefix_cache_queries: prompt + cached }),
  };
  return Object.fromEntries(Object.entries(readings).filter((e): e is [string, number] => e[1] !== undefined));
}
