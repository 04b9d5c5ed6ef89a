import { afterEach, expect, test } from 'vitest';
import { PrefixCache, startMockHttpServer, type MockHttpServer } from './http.js';

let server: MockHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const chat = (url: string, system: string, user: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ messages: [{ role: 'system', content: system }, { role: 'user', content: user }] }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } } } }));

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
  expect(server.stats()).toMatchObject({ prefix_cache_hits: 96, prefix_cache_queries: first.body.usage.prompt_tokens + second.body.usage.prompt_tokens });
  // 1 ms per uncached token: ~103 ms cold, ~7 ms warm.
  expect(cold).toBeGreaterThan(90);
  expect(warm).toBeLessThan(cold / 3);
});

const complete = (url: string, prompt: string) =>
  fetch(`${url}/v1/completions`, { method: 'POST', body: JSON.stringify({ prompt }) }).then(
    async (r) => ((await r.json()) as { usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } } }).usage,
  );

test('the prefix cache works on whole 16-token blocks from the start of any prompt, as vLLM V1 does', async () => {
  server = await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 0 } } });
  const block = (c: string) => c.repeat(64); // 16 tokens
  // Completions share their beginnings too: 2 whole blocks in common, then different text.
  await complete(server.url, block('a') + block('b') + 'first question');
  expect((await complete(server.url, block('a') + block('b') + 'second question')).prompt_tokens_details).toEqual({ cached_tokens: 32 });
  // A block hits only after all blocks before it did: the same text at the same place after a
  // different first block is a miss.
  expect((await complete(server.url, block('z') + block('b') + 'first question')).prompt_tokens_details).toBeUndefined();
  // Never the whole prompt: the same 3-block prompt again hits 2 blocks, recomputing the last token.
  await complete(server.url, block('c').repeat(3));
  expect((await complete(server.url, block('c').repeat(3))).prompt_tokens_details).toEqual({ cached_tokens: 32 });
  // In a chat, a shared system prompt and a shared start of the user message both count.
  await chat(server.url, block('s'), block('u') + 'one');
  expect((await chat(server.url, block('s'), block('u') + 'two')).body.usage.prompt_tokens_details).toEqual({ cached_tokens: 32 });
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

test("a full prefix cache evicts a prompt's tail blocks before its head, as vLLM does", () => {
  const cache = new PrefixCache(10);
  const prompt = (c: string) => c.repeat(64 * 10) + '?'; // 10 whole blocks, then a token more
  const tokens = (text: string) => Math.ceil(text.length / 4);
  expect(cache.lookup(prompt('a'), tokens(prompt('a')))).toBe(0);
  expect(cache.lookup(prompt('a'), tokens(prompt('a')))).toBe(160);
  // One block of another prompt overflows the cache by one: a's last block goes, its head stays.
  cache.lookup('b'.repeat(64), 16);
  expect(cache.lookup(prompt('a'), tokens(prompt('a')))).toBe(144);
});
