import { describe, expect, test } from 'vitest';
import { KvStepLoop, VllmKvCache, tokenize } from './kv-cache.js';

/** `n` distinct tokens named after `tag`. */
const toks = (tag: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${tag}${i}`);
/** A 64-token prefix (4 blocks) every prompt below shares. */
const prefix = toks('p', 64);
/** A prompt of the shared prefix and 16 tokens of its own: 80 tokens, 5 full blocks. */
const prompt = (own: string): string[] => [...prefix, ...toks(own, 16)];
const cachedOf = (kv: VllmKvCache): number[] => kv.step().prefilled.map((p) => p.cachedTokens);

describe('hits among requests in flight together (vLLM V1 caches blocks when it schedules them)', () => {
  test('a request taken later in the same step hits the blocks an earlier one is computing in it', () => {
    const kv = new VllmKvCache();
    kv.add('a', prompt('a'));
    kv.add('b', prompt('b'));
    // a's 5 blocks are cached as it is scheduled, so b, in the same step, hits the 4 prefix blocks.
    expect(cachedOf(kv)).toEqual([0, 64]);
    expect({ queries: kv.queries, hits: kv.hits }).toEqual({ queries: 160, hits: 64 });
  });

  test('in consecutive steps the second request hits the same 64 tokens', () => {
    const kv = new VllmKvCache();
    kv.add('a', prompt('a'));
    expect(cachedOf(kv)).toEqual([0]);
    kv.add('b', prompt('b'));
    expect(cachedOf(kv)).toEqual([64]);
    expect({ queries: kv.queries, hits: kv.hits }).toEqual({ queries: 160, hits: 64 });
  });

  test('with a per-request prefill cap, same-step requests hit only the blocks scheduled so far', () => {
    // 32 prompt tokens per request per step: a has scheduled 2 of its blocks when b is looked up,
    // b then schedules (and caches) its own copies of blocks 3 and 4, which c finds.
    const kv = new VllmKvCache({ long_prefill_token_threshold: 32 });
    for (const id of ['a', 'b', 'c']) kv.add(id, prompt(id));
    const cached: Record<string, number> = {};
    for (let i = 0; i < 4; i++) for (const p of kv.step().prefilled) cached[p.id] = p.cachedTokens;
    expect(cached).toEqual({ a: 0, b: 32, c: 64 });
    // Once a's whole prompt is scheduled, a newcomer hits all 4 prefix blocks.
    const later = new VllmKvCache({ long_prefill_token_threshold: 32 });
    later.add('a', prompt('a'));
    for (let i = 0; i < 3; i++) later.step();
    later.add('b', prompt('b'));
    const b: number[] = [];
    for (let i = 0; i < 3; i++) b.push(...later.step().prefilled.map((p) => p.cachedTokens));
    expect(b).toEqual([64]);
  });

  test('at most prompt - 1 tokens hit, in whole blocks: an identical 64-token prompt hits 48', () => {
    const kv = new VllmKvCache();
    kv.add('a', prefix);
    kv.add('b', prefix);
    expect(cachedOf(kv)).toEqual([0, 48]);
  });

  test('only full blocks are hashed: a shared 63-token prefix hits 3 blocks', () => {
    const kv = new VllmKvCache();
    kv.add('a', [...prefix.slice(0, 63), 'x', ...toks('a', 20)]);
    kv.add('b', [...prefix.slice(0, 63), 'y', ...toks('b', 20)]);
    expect(cachedOf(kv)).toEqual([0, 48]);
  });
});

describe('a finite pool of blocks: eviction and waiting', () => {
  test("eviction takes the least recently freed blocks, a prompt's tail before its head", () => {
    const kv = new VllmKvCache({ num_blocks: 6 }); // the null block and 5 usable: one 80-token prompt
    kv.add('a', prompt('a'));
    expect(cachedOf(kv)).toEqual([0]);
    kv.finish('a');
    // 2 blocks for c evict a's blocks 5 and 4 (freed first, as vLLM frees in reverse).
    kv.add('c', toks('c', 32));
    expect(cachedOf(kv)).toEqual([0]);
    kv.finish('c');
    kv.add('a2', prompt('a'));
    expect(cachedOf(kv)).toEqual([48]);
  });

  test('freed blocks without a hash are reused before cached ones', () => {
    const kv = new VllmKvCache({ num_blocks: 7 }); // 6 usable
    // 72 tokens: 4 full blocks (cached) and a partial fifth (no hash).
    kv.add('a', [...prefix, ...toks('a', 8)]);
    expect(cachedOf(kv)).toEqual([0]);
    kv.finish('a');
    // c's 2 blocks are the partial block and the never-used one; a's 4 cached blocks survive.
    kv.add('c', toks('c', 32));
    expect(cachedOf(kv)).toEqual([0]);
    kv.add('a2', [...prefix, ...toks('a', 8)]);
    expect(cachedOf(kv)).toEqual([]); // 5 blocks needed, 4 free (c holds 2): it waits
    kv.finish('c');
    expect(cachedOf(kv)).toEqual([64]);
  });

  test('a request waiting for blocks is looked up again every step, and vLLM counts every lookup', () => {
    const kv = new VllmKvCache({ num_blocks: 6 });
    kv.add('a', prompt('a'));
    kv.add('b', prompt('b'));
    expect(cachedOf(kv)).toEqual([0]); // b hits a's 4 blocks but needs a fifth: none free
    expect(cachedOf(kv)).toEqual([]);
    kv.finish('a');
    expect(cachedOf(kv)).toEqual([64]);
    // a once, b three times: 4 x 80 queries, b's 3 x 64 hits.
    expect({ queries: kv.queries, hits: kv.hits, lookups: kv.lookups }).toEqual({ queries: 320, hits: 192, lookups: 4 });
    expect(kv.promptTokens).toBe(160);
  });

  test('a request beyond max_num_seqs is not looked up (nor counted) until one finishes', () => {
    const kv = new VllmKvCache({ max_num_seqs: 1 });
    kv.add('a', prompt('a'));
    kv.add('b', prompt('b'));
    expect(cachedOf(kv)).toEqual([0]);
    expect(cachedOf(kv)).toEqual([]);
    expect(kv.queries).toBe(80);
    kv.finish('a');
    expect(cachedOf(kv)).toEqual([64]);
    expect(kv.queries).toBe(160);
  });

  test("an answer's slots are taken with its prompt, so the blocks run out sooner", () => {
    const kv = new VllmKvCache({ num_blocks: 11 }); // 10 usable
    kv.add('a', prompt('a'), 16); // 96 slots: 6 blocks
    kv.add('b', prompt('b'), 16); // hits 4, needs 2 more: fits
    kv.add('c', prompt('c'), 16); // needs 2, 2 free: fits
    kv.add('d', prompt('d'), 16); // none left
    expect(cachedOf(kv)).toEqual([0, 64, 64]);
    expect(kv.numWaiting).toBe(1);
    expect(kv.usage).toBe(1);
  });

  test('a prompt larger than the whole pool is rejected, not left waiting forever', () => {
    const kv = new VllmKvCache({ num_blocks: 4 });
    kv.add('a', prompt('a'));
    expect(kv.step()).toEqual({ prefilled: [], rejected: ['a'] });
    expect(kv.pending).toBe(false);
  });

  test('reset_prefix_cache forgets the cache only when no block is in use', () => {
    const kv = new VllmKvCache();
    kv.add('a', prompt('a'));
    kv.step();
    expect(kv.resetPrefixCache()).toBe(false);
    kv.finish('a');
    expect(kv.resetPrefixCache()).toBe(true);
    kv.add('b', prompt('b'));
    expect(cachedOf(kv)).toEqual([0]);
  });
});

describe('batch vs semaphore, step by step', () => {
  // The seed study's prompts on the mock's tokenizer: 62 shared tokens (3 full blocks), 84 in all.
  const system =
    'You are a recruiter at a software company. Evaluate the candidate below for a senior backend engineer role. Answer with a score from 1 to 10 and one sentence of justification. Consider experience, system design, ownership and communication.';
  const candidate = (i: number) =>
    tokenize(`${system}Candidate #${i}: five years of TypeScript and Node.js, led a team of four, built a payments API.`);

  /**
   * `n` requests, each taking `steps` engine steps once its prompt is scheduled: in batches of
   * `batch` (all sent together, the next batch when all are answered) or `concurrency` in flight.
   */
  function run(kv: VllmKvCache, n: number, mode: { batch: number } | { concurrency: number }, steps = 16): void {
    let sent = 0;
    let done = 0;
    const running = new Map<string, number>();
    const send = (): void => {
      kv.add(String(sent), candidate(sent), 16);
      sent++;
    };
    while (done < n) {
      if ('batch' in mode) {
        if (sent === done) for (let i = 0; i < mode.batch && sent < n; i++) send();
      } else {
        while (sent < n && sent - done < mode.concurrency) send();
      }
      for (const p of kv.step().prefilled) running.set(p.id, steps);
      for (const [id, left] of running) {
        if (left > 1) running.set(id, left - 1);
        else {
          running.delete(id);
          kv.finish(id);
          done++;
        }
      }
    }
  }

  test('with room for every request: the same hit rate, only the very first request misses', () => {
    const batch = new VllmKvCache();
    run(batch, 500, { batch: 50 });
    const semaphore = new VllmKvCache();
    run(semaphore, 500, { concurrency: 10 });
    // 500 x 84 tokens queried; 499 x 48 hit (the 3 blocks of system prompt + "Candidate #").
    expect({ queries: batch.queries, hits: batch.hits }).toEqual({ queries: 42_000, hits: 23_952 });
    expect({ queries: semaphore.queries, hits: semaphore.hits }).toEqual({ queries: 42_000, hits: 23_952 });
  });

  test('with blocks for only 20 requests, batch-50 counts its waiting requests again and again; the rate stays', () => {
    // 84 + 16 = 100 slots = 7 blocks a request, of which the 3 prefix blocks are shared: 3 + 20 x 4.
    const batch = new VllmKvCache({ num_blocks: 1 + 3 + 20 * 4 });
    run(batch, 500, { batch: 50 });
    const semaphore = new VllmKvCache({ num_blocks: 1 + 3 + 20 * 4 });
    run(semaphore, 500, { concurrency: 10 });
    expect({ queries: semaphore.queries, hits: semaphore.hits }).toEqual({ queries: 42_000, hits: 23_952 });
    // Each of the 10 batches: 20 run, 30 wait; the head of the queue is looked up every step.
    expect(batch.lookups).toBe(500 + 10 * 2 * 16);
    expect(batch.queries).toBe(batch.lookups * 84);
    expect(batch.hits).toBe((batch.lookups - 1) * 48);
  });

  test('with a per-request prefill cap of one block, the 2nd and 3rd requests of the first step hit less, in both', () => {
    // Step 1 schedules 16 tokens of each: the 2nd finds 1 prefix block cached, the 3rd 2, the rest 3.
    const batch = new VllmKvCache({ long_prefill_token_threshold: 16 });
    run(batch, 500, { batch: 50 });
    const semaphore = new VllmKvCache({ long_prefill_token_threshold: 16 });
    run(semaphore, 500, { concurrency: 10 });
    expect({ queries: batch.queries, hits: batch.hits }).toEqual({ queries: 42_000, hits: 23_952 - 32 - 16 });
    expect({ queries: semaphore.queries, hits: semaphore.hits }).toEqual({ queries: 42_000, hits: 23_952 - 32 - 16 });
  });

  test('a semaphore of 1 never has two requests in one step: every one after the first hits 48', () => {
    const kv = new VllmKvCache({ long_prefill_token_threshold: 16 });
    run(kv, 100, { concurrency: 1 });
    expect({ queries: kv.queries, hits: kv.hits }).toEqual({ queries: 8400, hits: 99 * 48 });
  });
});

describe('the step loop in time', () => {
  /** A fake clock: timers fire only when the test advances time. */
  function fakeTimers() {
    let now = 0;
    const timers: { at: number; fn: () => void; id: number }[] = [];
    let nextId = 0;
    return {
      setTimeout: (fn: () => void, ms: number) => {
        const id = nextId++;
        timers.push({ at: now + ms, fn, id });
        return id;
      },
      clearTimeout: (id: unknown) => {
        const i = timers.findIndex((t) => t.id === id);
        if (i >= 0) timers.splice(i, 1);
      },
      advance(ms: number) {
        const until = now + ms;
        for (;;) {
          timers.sort((a, b) => a.at - b.at);
          const t = timers[0];
          if (!t || t.at > until) break;
          timers.shift();
          now = t.at;
          t.fn();
        }
        now = until;
      },
    };
  }

  test('requests that arrive before the next step are scheduled in it; a release lets a waiting one in', async () => {
    const timers = fakeTimers();
    const kv = new VllmKvCache({ num_blocks: 6 });
    const loop = new KvStepLoop(kv, () => 5, timers);
    const a = loop.admit(prompt('a'), 0);
    const b = loop.admit(prompt('b'), 0);
    timers.advance(0);
    expect(await a.ready).toBe(0);
    expect(kv.numWaiting).toBe(1);
    // b is looked up again every 5 ms while it waits.
    timers.advance(10);
    expect(kv.lookups).toBe(4);
    a.release();
    timers.advance(0);
    expect(await b.ready).toBe(64);
    b.release();
    expect(kv.usage).toBe(0);
  });

  test("a prompt longer than a step's budget is scheduled over steps that take no time", async () => {
    const timers = fakeTimers();
    const kv = new VllmKvCache({ max_num_batched_tokens: 32 });
    const loop = new KvStepLoop(kv, () => 5, timers);
    const a = loop.admit(prompt('a'), 0);
    let cached: number | undefined;
    void a.ready.then((n) => (cached = n));
    timers.advance(0); // 80 tokens in 3 steps of 32, all at time 0
    await Promise.resolve();
    expect(cached).toBe(0);
    expect(kv.pending).toBe(false);
    a.release();
  });

  test('an aborted request leaves the queue', async () => {
    const timers = fakeTimers();
    const kv = new VllmKvCache({ num_blocks: 6 });
    const loop = new KvStepLoop(kv, () => 5, timers);
    const a = loop.admit(prompt('a'), 0);
    const controller = new AbortController();
    const b = loop.admit(prompt('b'), 0, controller.signal);
    timers.advance(0);
    controller.abort();
    await expect(b.ready).rejects.toThrow('aborted');
    expect(kv.numWaiting).toBe(0);
    a.release();
  });
});
