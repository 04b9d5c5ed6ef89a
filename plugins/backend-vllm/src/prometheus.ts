export interface Aggregate {
  /** Sum over label sets (vLLM labels by engine and model: the server's total, for counters). */
  sum: number;
  /** How many label sets (the mean of a gauge is sum / count). */
  count: number;
}

/**
 * Reads Prometheus text exposition into per-name aggregates over all label sets.
 * `*_created` series (creation timestamps) are skipped.
 */
export function parsePrometheus(text: string): Map<string, Aggregate> {
  const out = new Map<string, Aggregate>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = brace >= 0 ? line.indexOf(' ', line.lastIndexOf('}')) : line.indexOf(' ');
    if (space < 0) continue;
    const name = brace >= 0 && brace < space ? line.slice(0, brace) : line.slice(0, space);
    if (name.endsWith('_created')) continue;
    const value = Number(line.slice(space + 1).trim().split(/\s+/)[0]);
    if (!Number.isFinite(value)) continue;
    const a = out.get(name);
    if (a) {
      a.sum += value;
      a.count++;
    } else out.set(name, { sum: value, count: 1 });
  }
  return out;
}

/**
 * vLLM readings by our names, from the V1 metric names (vllm/v1/metrics/loggers.py), falling back to
 * the names deprecated in 0.9 and to V0's: prefix-cache counters are in tokens; KV-cache usage is a
 * fraction (1 = full).
 */
export function vllmReadings(samples: Map<string, Aggregate>): Record<string, number> {
  const pick = (how: 'sum' | 'mean', ...names: string[]): number | undefined => {
    for (const n of names) {
      const a = samples.get(n);
      if (a !== undefined) return how === 'sum' ? a.sum : a.sum / a.count;
    }
    return undefined;
  };
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
