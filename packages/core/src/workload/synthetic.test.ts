import { describe, expect, test } from 'vitest';
import { requestFactory } from '../runner/requests.js';
import type { ResolvedWorkload } from '../scenario/load.js';
import { buildSynthetic, type TokenCounter } from './synthetic.js';

/** A tokenizer where words of 5 letters or more are two tokens: word counts alone cannot hit every length. */
const counter: TokenCounter = {
  kind: 'server',
  count: (text) =>
    Promise.resolve(
      text
        .split(' ')
        .filter((w) => w !== '')
        .reduce((n, w) => n + (w.length >= 5 ? 2 : 1), 0),
    ),
};

describe('synthetic prompts are built to exact token lengths', () => {
  test("each prompt has its requested length, less the server's overhead", async () => {
    const built = await buildSynthetic(
      { input_tokens: { uniform: { min: 20, max: 80 } } },
      { requests: 30, warmup: 0, seed: 3, counter, overhead: 9 },
    );
    expect(built.prompts).toHaveLength(30);
    const counts = await Promise.all(built.prompts.map((p) => counter.count(p)));
    expect(counts).toEqual(built.inputTokens.map((n) => n - 9));
    expect(new Set(built.prompts).size).toBe(30);
  });

  test('a shared prefix of N tokens starts every prompt', async () => {
    const built = await buildSynthetic(
      { input_tokens: 100, prefix_tokens: 40 },
      { requests: 5, warmup: 0, seed: 1, counter, overhead: 0 },
    );
    const words = built.prompts.map((p) => p.split(' '));
    // The prefix is the words whose tokens add to 40, the same in every prompt.
    let n = 0;
    let k = 0;
    while (n < 40) n += words[0]![k++]!.length >= 5 ? 2 : 1;
    expect(n).toBe(40);
    for (const w of words) expect(w.slice(0, k)).toEqual(words[0]!.slice(0, k));
    expect(new Set(words.map((w) => w[k])).size).toBeGreaterThan(1);
    for (const p of built.prompts) expect(await counter.count(p)).toBe(100);
  });

  test("output lengths are drawn per prompt and become each request's max_tokens", async () => {
    const built = await buildSynthetic(
      { input_tokens: 10, output_tokens: { list: [3, 9] } },
      { requests: 20, warmup: 0, seed: 2, counter, overhead: 0 },
    );
    expect(new Set(built.outputTokens)).toEqual(new Set([3, 9]));
    const workload: ResolvedWorkload = {
      requests: 20,
      warmup: 0,
      prompts: built.prompts,
      outputTokens: built.outputTokens!,
      maxTokens: 100,
      stream: false,
      timeoutMs: 1000,
    };
    const request = requestFactory(workload);
    expect(Array.from({ length: 20 }, (_, i) => request(i).maxTokens)).toEqual(built.outputTokens);
  });

  test('the same seed builds the same prompts; another seed, other prompts', async () => {
    const o = { requests: 10, warmup: 0, counter, overhead: 2 };
    const a = await buildSynthetic({ input_tokens: { normal: { mean: 50, stddev: 10 } } }, { ...o, seed: 8 });
    const b = await buildSynthetic({ input_tokens: { normal: { mean: 50, stddev: 10 } } }, { ...o, seed: 8 });
    const c = await buildSynthetic({ input_tokens: { normal: { mean: 50, stddev: 10 } } }, { ...o, seed: 9 });
    expect(b).toEqual(a);
    expect(c.prompts).not.toEqual(a.prompts);
  });
});

describe('requests are the same whatever thread builds them', () => {
  test('two factories (two threads) give byte-identical requests for every index, with shuffle and with replacement', () => {
    for (const sampling of ['shuffle', 'with_replacement'] as const) {
      const workload: ResolvedWorkload = {
        requests: 50,
        warmup: 0,
        prompts: ['a {i}', 'b', 'c', 'd'],
        outputTokens: [1, 2, 3, 4],
        stream: false,
        timeoutMs: 1000,
        order: { sampling, seed: 5 },
      };
      const one = requestFactory(workload);
      const other = requestFactory(structuredClone(workload));
      const evens = Array.from({ length: 25 }, (_, k) => JSON.stringify(other(2 * k)));
      expect(Array.from({ length: 25 }, (_, k) => JSON.stringify(one(2 * k)))).toEqual(evens);
    }
  });
});
