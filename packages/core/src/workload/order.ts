import { hashString, mulberry32 } from '@llmbench/plugin-api';
import type { Sampling } from './schema.js';

export interface WorkloadOrder {
  readonly sampling: Exclude<Sampling, 'in_order'>;
  readonly seed: number;
}

/**
 * Which prompt request `index` uses: a pure function of (prompt count, order, index), so every
 * thread builds the same request for an index. `shuffle` walks a seeded permutation in turn;
 * `with_replacement` draws each index's prompt from a generator seeded by the seed and the index.
 */
export function promptPicker(n: number, order: WorkloadOrder | undefined): (index: number) => number {
  if (!order) return (index) => index % n;
  if (order.sampling === 'shuffle') {
    const perm = permutation(n, order.seed);
    return (index) => perm[index % n]!;
  }
  const base = order.seed ^ hashString('with_replacement');
  return (index) => Math.floor(mulberry32(base + Math.imul(index, 0x9e3779b1))() * n);
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, seed: number): Uint32Array {
  const random = mulberry32(seed ^ hashString('shuffle'));
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}
