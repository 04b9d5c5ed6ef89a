import { gamma, mulberry32 } from '@llmbench/plugin-api';

/**
 * Intended start offsets (ms from t0) of `n` paced requests with random gaps, seeded: gaps drawn
 * from Gamma(shape, 1 / (rate × shape)) as vLLM's `--burstiness` draws them; shape 1 gives
 * exponential gaps, a Poisson process. Like evenly spaced starts, the first is at 0 and the last at
 * (n - 1) / rate: the n - 1 gaps are scaled to add up to exactly that (vLLM rescales its gaps the
 * same way), so every seed offers the same rate. For a Poisson process that is the process
 * conditioned on its last arrival's time.
 */
export function arrivalOffsets(n: number, rate: number, shape: number, seed: number): Float64Array {
  const random = mulberry32(seed);
  const offsets = new Float64Array(new SharedArrayBuffer(8 * n));
  let t = 0;
  for (let i = 1; i < n; i++) {
    t += gamma(random, shape);
    offsets[i] = t;
  }
  const span = ((n - 1) * 1000) / rate;
  for (let i = 1; i < n; i++) offsets[i] = t > 0 ? (offsets[i]! / t) * span : (i * 1000) / rate;
  return offsets;
}
