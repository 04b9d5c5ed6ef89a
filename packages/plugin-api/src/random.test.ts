import { describe, expect, test } from 'vitest';
import { gamma, mulberry32 } from './random.js';

function moments(samples: readonly number[]): { mean: number; cv: number } {
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (samples.length - 1);
  return { mean, cv: Math.sqrt(variance) / mean };
}

const draw = (shape: number, n = 100_000, seed = 7) => {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => gamma(random, shape));
};

describe('gamma', () => {
  test.each([0.25, 0.5, 1, 2.5, 9])('shape %d: mean = shape and coefficient of variation = 1/sqrt(shape), within 3%', (shape) => {
    const { mean, cv } = moments(draw(shape));
    expect(Math.abs(mean / shape - 1)).toBeLessThan(0.03);
    expect(Math.abs(cv * Math.sqrt(shape) - 1)).toBeLessThan(0.03);
  });

  test('shape 1 is the exponential distribution: P(X > 1) = 1/e within 2%, P(X > 3) = e^-3 within 6%', () => {
    const samples = draw(1);
    const above = (t: number) => samples.filter((x) => x > t).length / samples.length;
    expect(Math.abs(above(1) / Math.exp(-1) - 1)).toBeLessThan(0.02);
    expect(Math.abs(above(3) / Math.exp(-3) - 1)).toBeLessThan(0.06);
  });

  test('every sample is positive and finite, even for a very bursty shape', () => {
    expect(draw(0.05, 20_000).every((x) => x >= 0 && Number.isFinite(x))).toBe(true);
  });

  test('the same seed gives the same samples', () => {
    expect(draw(0.25, 50, 3)).toEqual(draw(0.25, 50, 3));
    expect(draw(0.25, 50, 3)).not.toEqual(draw(0.25, 50, 4));
  });

  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('shape %d is refused', (shape) => {
    expect(() => gamma(mulberry32(1), shape)).toThrow(RangeError);
  });
});
