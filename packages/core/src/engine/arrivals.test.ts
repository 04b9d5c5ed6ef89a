import { describe, expect, test } from 'vitest';
import { arrivalOffsets } from './arrivals.js';

/** Inter-arrival gaps (ms) of a schedule: its offsets' differences. */
function gaps(offsets: Float64Array): number[] {
  return Array.from(offsets.subarray(1), (t, i) => t - offsets[i]!);
}

function moments(values: readonly number[]): { mean: number; cv: number } {
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  const variance = values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1);
  return { mean, cv: Math.sqrt(variance) / mean };
}

describe('arrivalOffsets', () => {
  test('burstiness 1 (also what poisson arrivals use) is a Poisson process: gaps average 1 / rate with a coefficient of variation of 1', () => {
    const { mean, cv } = moments(gaps(arrivalOffsets(50_000, 20, 1, 11)));
    expect(mean).toBeCloseTo(50, 0);
    expect(Math.abs(cv - 1)).toBeLessThan(0.03);
  });

  test('burstiness 0.25 gives gaps with a coefficient of variation within 10% of 2 (= 1 / sqrt(0.25))', () => {
    const { mean, cv } = moments(gaps(arrivalOffsets(50_000, 20, 0.25, 5)));
    expect(mean).toBeCloseTo(50, 0);
    expect(Math.abs(cv / 2 - 1)).toBeLessThan(0.1);
  });

  test('burstiness 4 spaces starts more evenly than Poisson: coefficient of variation 0.5', () => {
    expect(moments(gaps(arrivalOffsets(50_000, 20, 4, 5))).cv).toBeCloseTo(0.5, 1);
  });

  test.each([1, 0.25, 3])(
    'burstiness %d: like evenly spaced starts, the first is at 0 and the last at (n - 1) / rate, whatever the seed',
    (shape) => {
      for (const seed of [1, 2, 3]) {
        const offsets = arrivalOffsets(41, 8, shape, seed);
        expect(offsets[0]).toBe(0);
        expect(offsets[40]).toBeCloseTo(5000, 9);
        expect([...offsets].every((t, i) => i === 0 || t >= offsets[i - 1]!)).toBe(true);
      }
    },
  );

  test('the same seed gives the same schedule; another seed another', () => {
    expect([...arrivalOffsets(100, 5, 0.5, 9)]).toEqual([...arrivalOffsets(100, 5, 0.5, 9)]);
    expect([...arrivalOffsets(100, 5, 0.5, 9)]).not.toEqual([...arrivalOffsets(100, 5, 0.5, 10)]);
  });

  test('the offsets live in shared memory, for the worker threads to read', () => {
    expect(arrivalOffsets(3, 1, 1, 1).buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
