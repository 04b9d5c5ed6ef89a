/**
 * Reads Prometheus text exposition: each sample's value summed by metric name over all label sets
 * (vLLM labels samples by engine and model; with several engines the sum is the server's total).
 * `*_created` series (creation timestamps) are skipped.
 */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
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
    out.set(name, (out.get(name) ?? 0) + value);
  }
  return out;
}

/**
 * vLLM readings by our names, from the V1 metric names (vllm/v1/metrics/loggers.py), falling back to
 * the names deprecated in 0.9 and to V0's: prefix-cache counters are in tokens; KV-cache usage is a
 * fraction (1 = full).
 */
export function vllmReadings(samples: Map<string, number>): Record<string, number> {
  const pick = (...names: string[]): number | undefined => {
    for (const n of names) {
      const v = samples.get(n);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const readings: Record<string, number | undefined> = {
    prefix_cache_queries: pick('vllm:prefix_cache_queries_total', 'vllm:gpu_prefix_cache_queries_total'),
    prefix_cache_hits: pick('vllm:prefix_cache_hits_total', 'vllm:gpu_prefix_cache_hits_total'),
    prefix_cache_hit_rate_v0: pick('vllm:gpu_prefix_cache_hit_rate'),
    kv_cache_usage: pick('vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'),
    requests_running: pick('vllm:num_requests_running'),
    requests_waiting: pick('vllm:num_requests_waiting'),
    prompt_tokens: pick('vllm:prompt_tokens_total'),
    generation_tokens: pick('vllm:generation_tokens_total'),
  };
  return Object.fromEntries(Object.entries(readings).filter((e): e is [string, number] => e[1] !== undefined));
}
