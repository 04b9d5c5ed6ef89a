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
    const value = Number(
      line
        .slice(space + 1)
        .trim()
        .split(/\s+/)[0],
    );
    if (!Number.isFinite(value)) continue;
    const a = out.get(name);
    if (a) {
      a.sum += value;
      a.count++;
    } else out.set(name, { sum: value, count: 1 });
  }
  return out;
}

/** Metric families of the servers llmbench knows, by the prefix their Prometheus names share. */
export const METRIC_FAMILIES: readonly MetricFamily[] = [
  { prefix: 'vllm:', server: 'vLLM', backend: 'vllm' },
  { prefix: 'llamacpp:', server: 'llama.cpp', backend: 'llamacpp' },
  { prefix: 'sglang:', server: 'SGLang' },
  { prefix: 'tgi_', server: 'TGI' },
];

export interface MetricFamily {
  readonly prefix: string;
  readonly server: string;
  /** The built-in backend that reads this family, if any. */
  readonly backend?: string;
}

/** The known families a scrape holds, in `METRIC_FAMILIES` order. */
export function metricFamilies(samples: ReadonlyMap<string, Aggregate>): MetricFamily[] {
  const names = [...samples.keys()];
  return METRIC_FAMILIES.filter((f) => names.some((n) => n.startsWith(f.prefix)));
}

/**
 * Why a scrape of `path` holds none of the metrics a backend reads (those named `expected...`), naming
 * what it holds instead and the backend that reads that; undefined when the expected family is there.
 */
export function wrongServerMessage(
  path: string,
  expectedPrefix: string,
  samples: ReadonlyMap<string, Aggregate>,
): string | undefined {
  const names = [...samples.keys()];
  if (names.some((n) => n.startsWith(expectedPrefix))) return undefined;
  const found = metricFamilies(samples);
  if (found.length === 0) {
    return `GET ${path} answered without ${expectedPrefix} metrics (found ${names.length === 0 ? 'no metrics' : `${names.length} metric${names.length === 1 ? '' : 's'}, none of a known server`}); check metrics_path, or set scrape_metrics: false`;
  }
  const advice = found.find((f) => f.backend !== undefined);
  const what = found.map((f) => `${f.prefix} metrics (${f.server})`).join(', ');
  return `GET ${path} answered without ${expectedPrefix} metrics (found ${what}); ${advice ? `use the ${advice.backend} backend` : 'no built-in backend reads them: set scrape_metrics: false'}`;
}

/**
 * The first of `names` that a scrape holds: summed over its label sets (counters, request counts),
 * or their mean (usage fractions, rates); undefined when it holds none of them.
 */
export function pickMetric(samples: ReadonlyMap<string, Aggregate>, how: 'sum' | 'mean', ...names: string[]): number | undefined {
  for (const n of names) {
    const a = samples.get(n);
    if (a !== undefined) return how === 'sum' ? a.sum : a.sum / a.count;
  }
  return undefined;
}
