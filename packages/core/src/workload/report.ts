import type { Lengths, RunStats } from '@llmbench/plugin-api';
import type { Distribution } from '../metrics/histogram.js';
import type { Tally } from '../metrics/tally.js';
import type { ResolvedWorkload } from '../scenario/load.js';
import { promptPicker } from './order.js';

/**
 * Requested and actual input and output lengths of a run: requested from the workload, over the
 * requests sent (indices 0..requests-1, picked as the engine picks them); actual from the usage
 * of successful responses. Null when the workload asked for nothing and no response said.
 */
export function lengthsOf(
  workload: ResolvedWorkload,
  requests: number,
  tally: Tally,
): Pick<RunStats, 'input_lengths' | 'output_lengths'> {
  const pick = promptPicker(workload.prompts.length, workload.order);
  // How many of the requests used each prompt, counted once: the requested lengths are then counted
  // per value, not listed and sorted per request (150,000 requests made two such arrays a run).
  let perPrompt: Float64Array | undefined;
  const uses = (): Float64Array => {
    if (!perPrompt) {
      perPrompt = new Float64Array(workload.prompts.length);
      for (let i = 0; i < requests; i++) perPrompt[pick(i)]!++;
    }
    return perPrompt;
  };
  const requested = (per: readonly number[] | undefined, all: number | undefined): Map<number, number> | undefined => {
    if (per === undefined && all === undefined) return undefined;
    const counts = new Map<number, number>();
    if (per === undefined) {
      if (requests > 0) counts.set(all!, requests);
      return counts;
    }
    uses().forEach((n, prompt) => {
      if (n === 0) return;
      const value = per[prompt] ?? all!;
      counts.set(value, (counts.get(value) ?? 0) + n);
    });
    return counts;
  };
  const tokenizer = workload.tokenizer ?? null;
  return {
    input_lengths: lengths(
      requested(workload.inputTokens, undefined),
      tally.inputLengths,
      workload.inputTokens ? tokenizer : null,
    ),
    output_lengths: lengths(
      requested(workload.outputTokens, workload.maxTokens),
      tally.outputLengths,
      workload.outputTokens ? tokenizer : null,
    ),
  };
}

function lengths(
  requested: ReadonlyMap<number, number> | undefined,
  actual: Distribution,
  tokenizer: Lengths['tokenizer'],
): Lengths | null {
  const a = actual.stats();
  if ((requested === undefined || requested.size === 0) && !a) return null;
  return {
    requested: requested?.size ? exactCounts(requested) : null,
    actual: a ? { avg: a.avg, p50: Math.round(a.p50), p99: Math.round(a.p99) } : null,
    tokenizer,
  };
}

/** Per-turn figures of multi-turn conversations; nothing for other workloads. */
export function turnsOf(tally: Tally): Pick<RunStats, 'turns'> {
  const turns = tally.turns.stats();
  return turns ? { turns } : {};
}

/** avg, and nearest-rank p50 and p99, of values given as value -> how many times it occurs (at least one value). */
export function exactCounts(counts: ReadonlyMap<number, number>): { avg: number; p50: number; p99: number } {
  const values = [...counts.keys()].sort((x, y) => x - y);
  let total = 0;
  let sum = 0;
  for (const v of values) {
    total += counts.get(v)!;
    sum += v * counts.get(v)!;
  }
  /** The smallest value with at least `p`% of the values at or below it (nearest rank). */
  const rank = (p: number): number => {
    const want = Math.max(1, Math.ceil((p / 100) * total));
    let seen = 0;
    for (const v of values) {
      seen += counts.get(v)!;
      if (seen >= want) return v;
    }
    return values[values.length - 1]!;
  };
  return { avg: Math.round((sum / total) * 1000) / 1000, p50: rank(50), p99: rank(99) };
}
