import { gaussian, mulberry32 } from '@llmbench/plugin-api';
import type { Length } from './schema.js';

/** Draws `n` lengths from a distribution with a seeded generator: the same seed, the same lengths. */
export function drawLengths(length: Length, n: number, seed: number): number[] {
  const random = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(drawOne(length, random));
  return out;
}

function drawOne(length: Length, random: () => number): number {
  if (typeof length === 'number') return length;
  if ('fixed' in length) return length.fixed;
  if ('uniform' in length) return length.uniform.min + Math.floor(random() * (length.uniform.max - length.uniform.min + 1));
  if ('normal' in length) return Math.max(1, Math.round(length.normal.mean + length.normal.stddev * gaussian(random)));
  return length.list[Math.floor(random() * length.list.length)]!;
}

/** True when every draw is the same number. */
export function isFixed(length: Length): boolean {
  return typeof length === 'number' || 'fixed' in length;
}
