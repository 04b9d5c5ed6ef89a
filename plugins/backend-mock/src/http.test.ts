import { afterEach, describe, expect, test } from 'vitest';
import { startMockHttpServer, type MockHttpServer } from './http.js';

let server: MockHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const chat = (url: string, system: string, user: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
    }),
  }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as { usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } } },
  }));

test('a repeated system prompt is served from the prefix cache: counted as vLLM counts it, and cheaper', async () => {
  server = await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 0 } }, prefillMsPer1kTokens: 1000 });
  const system = 'x'.repeat(400); // 100 tokens at 4 characters each
  const t0 = performance.now();
  const first = await chat(server.url, system, 'question one');
  const cold = performance.now() - t0;
  const t1 = performance.now();
  const second = await chat(server.url, system, 'question two');
  const warm = performance.now() - t1;
  expect(first.body.usage.prompt_tokens_details).toBeUndefined();
  // 100 prefix tokens cached in whole 16-token blocks: 96.
  expect(second.body.usage.prompt_tokens_details).toEqual({ cached_tokens: 96 });
  expect(server.stats()).toMatchObject({
    prefix_cache_hits: 96,
    prefix_cache_queries: first.body.usage.prompt_tokens + second.body.usage.prompt_tokens,
  });
  // 1 ms per uncached token: ~103 ms cold, ~7 ms warm.
  expect(cold).toBeGreaterThan(90);
  expect(warm).toBeLessThan(cold / 3);
});

const complete = (url: string, prompt: string) =>
  fetch(`${url}/v1/completions`, { method: 'POST', body: JSON.stringify({ prompt }) }).then(
    async (r) =>
      ((await r.json()) as { usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } } }).usage,
  );

test('the prefix cache works on whole 16-token blocks from the start of any prompt, as vLLM V1 does', async () => {
  server = await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 0 } } });
  const block = (c: string) => c.repeat(64); // 16 tokens
  // Completions share their beginnings too: 2 whole blocks in common, then different text.
  await complete(server.url, `${block('a') + block('b')}first question`);
  expect((await complete(server.url, `${block('a') + block('b')}second question`)).prompt_tokens_details).toEqual({
    cached_tokens: 32,
  });
  // A block hits only after all blocks before it did: the same text at the same place after a
  // different first block is a miss.
  expect((await complete(server.url, `${block('z') + block('b')}first question`)).prompt_tokens_details).toBeUndefined();
  // Never the whole prompt: the same 3-block prompt again hits 2 blocks, recomputing the last token.
  await complete(server.url, block('c').repeat(3));
  expect((await complete(server.url, block('c').repeat(3))).prompt_tokens_details).toEqual({ cached_tokens: 32 });
  // In a chat, a shared system prompt and a shared start of the user message both count.
  await chat(server.url, block('s'), `${block('u')}one`);
  expect((await chat(server.url, block('s'), `${block('u')}two`)).body.usage.prompt_tokens_details).toEqual({
    cached_tokens: 32,
  });
  const stats = server.stats();
  expect(stats.prefix_cache_hits).toBe(96);
});

test('/metrics exposes the prefix-cache counters under vLLM V1 names', async () => {
  server = await startMockHttpServer({});
  await chat(server.url, 'y'.repeat(200), 'a');
  await chat(server.url, 'y'.repeat(200), 'b');
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const stats = server.stats();
  expect(text).toContain('# TYPE vllm:prefix_cache_hits_total counter');
  expect(text).toContain(`vllm:prefix_cache_hits_total{engine="0",model_name="mock-model"} ${stats.prefix_cache_hits}.0`);
  expect(text).toContain(`vllm:prefix_cache_queries_total{engine="0",model_name="mock-model"} ${stats.prefix_cache_queries}.0`);
  expect(text).toContain('vllm:kv_cache_usage_perc');
});

describe('batch vs semaphore against the vllm profile (the seed study, 200 candidates each)', () => {
  // The vllm profile's mock options (MOCK_PROFILES in packages/cli/src/index.ts) and the prompts of
  // scenarios/vllm-batch-vs-semaphore.yaml: the system prompt and "Candidate #" are 62 tokens in
  // common, 3 full blocks; every prompt is 84 tokens.
  const vllmProfile = { latency: { model: 'shared', step_ms: 0.12, per_request_ms: 0.03, jitter: 0.2 }, output_tokens: 16 };
  const system =
    'You are a recruiter at a software company. Evaluate the candidate below for a senior backend engineer role. Answer with a score from 1 to 10 and one sentence of justification. Consider experience, system design, ownership and communication.';
  const send = (url: string, i: number) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({
        max_tokens: 16,
        ignore_eos: true,
        messages: [
          { role: 'system', content: system },
          {
            role: 'user',
            content: `Candidate #${i}: five years of TypeScript and Node.js, led a team of four, built a payments API.`,
          },
        ],
      }),
    }).then(
      async (r) =>
        ((await r.json()) as { usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } } }).usage,
    );
  const counters = async (url: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const read = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)![1]);
    return { queries: read('vllm:prefix_cache_queries_total'), hits: read('vllm:prefix_cache_hits_total') };
  };
  const batches = async (url: string, n: number, size: number) => {
    for (let i = 0; i < n; i += size)
      await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, j) => send(url, i + j)));
  };
  const semaphore = async (url: string, n: number, concurrency: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) await send(url, next++);
      }),
    );
  };

  test('vLLM V1 rules: both hit 48 of 84 tokens on every request but the first (56.9%)', async () => {
    server = await startMockHttpServer({ mock: vllmProfile });
    await batches(server.url, 200, 50);
    const batch = await counters(server.url);
    expect(batch).toEqual({ queries: 200 * 84, hits: 199 * 48 });
    await fetch(`${server.url}/reset_prefix_cache`, { method: 'POST' });
    await semaphore(server.url, 200, 10);
    const both = await counters(server.url);
    expect({ queries: both.queries - batch.queries, hits: both.hits - batch.hits }).toEqual({
      queries: 200 * 84,
      hits: 199 * 48,
    });
  });

  test('the first batch of 50 is scheduled in one step: all but its first request hit the blocks it is computing', async () => {
    server = await startMockHttpServer({ mock: vllmProfile });
    const usages = await Promise.all(Array.from({ length: 50 }, (_, i) => send(server!.url, i)));
    const cached = usages.map((u) => u.prompt_tokens_details?.cached_tokens ?? 0).sort((a, b) => a - b);
    expect(cached).toEqual([0, ...Array<number>(49).fill(48)]);
  });

  test('with KV blocks for only 20 of the 50, the waiting ones are looked up again each step: more queries, the same rate', async () => {
    // 7 blocks a request (84 prompt + 16 answer tokens), 3 of them the shared prefix.
    server = await startMockHttpServer({ mock: vllmProfile, kvCache: { num_blocks: 1 + 3 + 20 * 4 } });
    await batches(server.url, 200, 50);
    const { queries, hits } = await counters(server.url);
    const lookups = queries / 84;
    expect(Number.isInteger(lookups)).toBe(true);
    expect(lookups).toBeGreaterThan(200);
    expect(hits).toBe((lookups - 1) * 48);
  });
});

describe('answer length over HTTP: max_tokens, min_tokens and ignore_eos', () => {
  // The vllm profile's mock options (MOCK_PROFILES in packages/cli/src/index.ts).
  const vllmProfile = { latency: { model: 'shared', step_ms: 0.12, per_request_ms: 0.03, jitter: 0.2 }, output_tokens: 16 };
  const post = async (url: string, path: string, body: Record<string, unknown>) => {
    const r = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    return { status: r.status, text: await r.text() };
  };
  const generationTokens = async (url: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^vllm:generation_tokens_total\{[^}]*\} (\S+)$/m.exec(text)![1]);
  };

  test('ignore_eos: every answer, JSON or streamed, has exactly max_tokens tokens and finish_reason "length"', async () => {
    server = await startMockHttpServer({ mock: vllmProfile });
    const answers: { tokens: number; finish: string }[] = [];
    for (let wave = 0; wave < 10; wave++) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const stream = i % 2 === 1;
          const { status, text } = await post(server!.url, '/v1/chat/completions', {
            messages: [{ role: 'user', content: `q${i}` }],
            max_tokens: 24,
            ignore_eos: true,
            stream,
          });
          expect(status).toBe(200);
          if (!stream) {
            const body = JSON.parse(text) as {
              usage: { completion_tokens: number };
              choices: { finish_reason: string; message: { content: string } }[];
            };
            expect(body.choices[0]!.message.content.match(/ tok\d+/g)).toHaveLength(body.usage.completion_tokens);
            answers.push({ tokens: body.usage.completion_tokens, finish: body.choices[0]!.finish_reason });
            return;
          }
          const events = text
            .split('\n\n')
            .filter((e) => e.startsWith('data: {'))
            .map(
              (e) =>
                JSON.parse(e.slice(6)) as {
                  choices: { delta: { content?: string }; finish_reason: string | null }[];
                  usage?: { completion_tokens: number };
                },
            );
          const content = events.filter((e) => e.choices[0]?.delta.content !== undefined).length;
          const usage = events.find((e) => e.usage)!.usage!.completion_tokens;
          expect(content).toBe(usage);
          answers.push({ tokens: usage, finish: events.find((e) => e.choices[0]?.finish_reason)!.choices[0]!.finish_reason! });
        }),
      );
    }
    expect(answers).toHaveLength(200);
    expect(new Set(answers.map((a) => `${a.tokens} ${a.finish}`))).toEqual(new Set(['24 length']));
    expect(server.stats()).toMatchObject({ tokens_generated: 200 * 24, requests_streamed: 100 });
    expect(await generationTokens(server.url)).toBe(200 * 24);
  });

  test('max_tokens alone caps answers ("length"); answers that end earlier keep "stop"', async () => {
    server = await startMockHttpServer({ mock: vllmProfile });
    const seen = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const { text } = await post(server!.url, '/v1/completions', { prompt: `p${i}`, max_tokens: 16 });
        const body = JSON.parse(text) as { usage: { completion_tokens: number }; choices: { finish_reason: string }[] };
        return { tokens: body.usage.completion_tokens, finish: body.choices[0]!.finish_reason };
      }),
    );
    expect(Math.max(...seen.map((s) => s.tokens))).toBe(16);
    for (const s of seen) expect(s.finish).toBe(s.tokens === 16 ? 'length' : 'stop');
    expect(seen.some((s) => s.finish === 'stop')).toBe(true);
    expect(await generationTokens(server.url)).toBe(seen.reduce((n, s) => n + s.tokens, 0));
  });

  test('min_tokens floors the answer; limits vLLM would refuse are answered with 400', async () => {
    server = await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 0 }, output_tokens: 4 } });
    const floored = JSON.parse((await post(server.url, '/v1/completions', { prompt: 'x', min_tokens: 9 })).text) as {
      usage: { completion_tokens: number };
    };
    expect(floored.usage.completion_tokens).toBe(9);
    const refused = await Promise.all([
      post(server.url, '/v1/completions', { prompt: 'x', max_tokens: 0 }),
      post(server.url, '/v1/completions', { prompt: 'x', max_tokens: 4, min_tokens: 5 }),
      post(server.url, '/v1/completions', { prompt: 'x', ignore_eos: 'yes' }),
    ]);
    expect(refused.map((r) => r.status)).toEqual([400, 400, 400]);
    expect(refused[1]!.text).toContain('min_tokens (5) must be less than or equal to max_tokens (4)');
  });
});
