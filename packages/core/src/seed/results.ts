/**
 * Where llmbench's results sit in a results file: the whole file, or, in the seed-style file that
 * `llmbench benchmark` writes (the seed's `concurrency_benchmark`/`scaling_benchmark` keys, with the
 * full results under `results`), its `results` key. `base` is that key's path, for locating issues.
 */
export function resultsIn(value: unknown): { data: unknown; base: string[] } {
  const nested = value !== null && typeof value === 'object' && 'concurrency_benchmark' in value && 'results' in value;
  return nested ? { data: (value as { results: unknown }).results, base: ['results'] } : { data: value, base: [] };
}
