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
  const requested = (per: readonly number[] | undefined, all: number | undefined): number[] | undefined => {
    if (per === undefined && all === undefined) return undefined;
    return Array.from({ length: requests }, (_, i) => per?.[pick(i)] ?? all!);
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

function lengths(requested: number[] | undefined, actual: Distribution, tokenizer: Lengths['tokenizer']): Lengths | null {
  const a = actual.stats();
  if ((requested === undefined || requested.length === 0) && !a) return null;
  return {
    requested: requested?.length ? exact(requested) : null,
    actual: a ? { avg: a.avg, p50: Math.round(a.p50), p99: Math.round(a.p99) } : null,
    tokenizer,
  };
}

/** Per-turn figures of multi-turn conversations; nothing for other workloads. */
export function turnsOf(tally: Tally): Pick<RunStats, 'turns'> {
  const turns = tally.turns.stats();
  return turns ? { turns } : {};
}

/** avg, and nearest-rank p50 and p99. */
export function exact(values: readonly number[]): { avg: number; p50: number; p99: number } {
  const sorted = [...values].sort((x, y) => x - y);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const avg = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { avg: Math.round(avg * 1000) / 1000, p50: rank(50), p99: rank(99) };
}
