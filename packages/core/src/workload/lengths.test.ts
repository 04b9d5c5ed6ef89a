import { describe, expect, test } from 'vitest';
import { drawLengths } from './lengths.js';
import { permutation, promptPicker } from './order.js';

describe('length distributions draw from the seed', () => {
  test('fixed, as a number or { fixed }, is always that length', () => {
    expect(drawLengths(128, 5, 1)).toEqual([128, 128, 128, 128, 128]);
    expect(drawLengths({ fixed: 7 }, 3, 1)).toEqual([7, 7, 7]);
  });

  test('uniform stays within min..max and reaches both ends', () => {
    const xs = drawLengths({ uniform: { min: 10, max: 13 } }, 2000, 3);
    expect(Math.min(...xs)).toBe(10);
    expect(Math.max(...xs)).toBe(13);
    expect(new Set(xs)).toEqual(new Set([10, 11, 12, 13]));
  });

  test('normal has about the mean and stddev asked for, rounded to whole tokens', () => {
    const xs = drawLengths({ normal: { mean: 500, stddev: 50 } }, 20_000, 5);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean - 500)).toBeLessThan(2);
    expect(Math.abs(sd - 50)).toBeLessThan(2);
    expect(xs.every(Number.isInteger)).toBe(true);
  });

  test('normal is clamped to at least 1 token', () => {
    const xs = drawLengths({ normal: { mean: 2, stddev: 20 } }, 1000, 9);
    expect(Math.min(...xs)).toBe(1);
  });

  test('list draws only its members, each of them', () => {
    const xs = drawLengths({ list: [32, 256, 1024] }, 500, 2);
    expect(new Set(xs)).toEqual(new Set([32, 256, 1024]));
  });

  test('the same seed gives the same lengths; another seed, others', () => {
    const d = { uniform: { min: 1, max: 1000 } };
    expect(drawLengths(d, 50, 42)).toEqual(drawLengths(d, 50, 42));
    expect(drawLengths(d, 50, 42)).not.toEqual(drawLengths(d, 50, 43));
  });
});

describe('sampling picks prompts as a pure function of the index', () => {
  test('in order: in turn', () => {
    const pick = promptPicker(3, undefined);
    expect([0, 1, 2, 3, 4, 5, 6].map(pick)).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  test('shuffle: each prompt once per pass, in a seeded order', () => {
    const pick = promptPicker(10, { sampling: 'shuffle', seed: 4 });
    const pass = Array.from({ length: 10 }, (_, i) => pick(i));
    expect([...pass].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pass).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from({ length: 10 }, (_, i) => pick(i + 10))).toEqual(pass);
    expect([...permutation(10, 4)]).toEqual(pass);
    expect([...permutation(10, 5)]).not.toEqual(pass);
  });

  test('with replacement: the same draw for an index whichever thread asks, in any order', () => {
    const a = promptPicker(7, { sampling: 'with_replacement', seed: 11 });
    const b = promptPicker(7, { sampling: 'with_replacement', seed: 11 });
    const forward = Array.from({ length: 200 }, (_, i) => a(i));
    const backward = Array.from({ length: 200 }, (_, i) => b(199 - i)).reverse();
    expect(backward).toEqual(forward);
    expect(new Set(forward).size).toBe(7);
    // Draws repeat a prompt within a pass of 7, which a permutation never does.
    expect(new Set(forward.slice(0, 7)).size).toBeLessThan(7);
  });
});
