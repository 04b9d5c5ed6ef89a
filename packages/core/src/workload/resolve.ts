import { resolve } from 'node:path';
import { hashString } from '@llmbench/plugin-api';
import type { DataIssue } from './data.js';
import { loadRecords } from './records.js';
import { loadShareGpt } from './sharegpt.js';
import type { RecordsSource, Sampling, ShareGptSource, SyntheticSource } from './schema.js';
import type { WorkloadExtras } from './types.js';

/** The prompt-source fields of a workload; at most one may be set. */
export const SOURCE_FIELDS = ['prompts', 'prompts_file', 'records', 'sharegpt', 'synthetic'] as const;

export interface SourceFields {
  readonly records?: RecordsSource | undefined;
  readonly sharegpt?: ShareGptSource | undefined;
  readonly synthetic?: SyntheticSource | undefined;
  readonly sampling?: Sampling | undefined;
}

export type SourceResult =
  | { readonly ok: true; readonly prompts?: string[]; readonly extras: WorkloadExtras }
  | { readonly ok: false; readonly field: 'records' | 'sharegpt'; readonly issues: readonly DataIssue[] };

/**
 * Reads the workload's records or ShareGPT source (relative to `dir`) and sets up synthetic
 * prompts and sampling. Prompts are returned only when a source made them; synthetic prompts are
 * left pending until the server's tokenizer can be asked (prepare.ts).
 */
export async function resolveSources(w: SourceFields, dir: string, seed: number): Promise<SourceResult> {
  const order =
    w.sampling === undefined || w.sampling === 'in_order'
      ? {}
      : { order: { sampling: w.sampling, seed: seed ^ hashString('sampling') } };
  if (w.records) {
    const loaded = await loadRecords(w.records, resolve(dir, w.records.file));
    return loaded.ok
      ? { ok: true, prompts: loaded.value, extras: order }
      : { ok: false, field: 'records', issues: loaded.issues };
  }
  if (w.sharegpt) {
    const loaded = await loadShareGpt(w.sharegpt, resolve(dir, w.sharegpt.file));
    if (!loaded.ok) return { ok: false, field: 'sharegpt', issues: loaded.issues };
    return {
      ok: true,
      prompts: loaded.value.prompts,
      extras: {
        ...order,
        ...(loaded.value.answers ? { pending: { answers: loaded.value.answers, seed } } : {}),
        ...(loaded.value.turns
          ? { conversations: { turns: loaded.value.turns, thinkTimeMs: w.sharegpt.think_time_ms ?? 0 } }
          : {}),
      },
    };
  }
  if (w.synthetic)
    return {
      ok: true,
      prompts: ['(synthetic prompts are built before the load)'],
      extras: { ...order, pending: { synthetic: w.synthetic, seed } },
    };
  return { ok: true, extras: order };
}
