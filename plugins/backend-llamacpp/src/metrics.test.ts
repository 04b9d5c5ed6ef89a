import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { parsePrometheus } from '@llmbench/backend-openai';
import { llamacppReadings } from './metrics.js';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

test("a real llama-server's /metrics (v0.5.0, after three requests) gives our readings and the prefix-cache pair", () => {
  // Three requests of 57 prompt tokens: the first processed all 57, the next two reused 38 each.
  expect(llamacppReadings(parsePrometheus(fixture('metrics.txt')))).toEqual({
    prompt_tokens: 95,
    prompt_tokens_cached: 76,
    tokens_predicted: 13,
    requests_processing: 0,
    requests_deferred: 0,
    decode_calls: 13,
    busy_slots_per_decode: 1,
    prefix_cache_hits: 76,
    prefix_cache_queries: 171,
  });
});

test('older builds: KV-cache usage and tokens are read; without the cached counter there is no prefix-cache pair', () => {
  const text = `llamacpp:prompt_tokens_total 120
llamacpp:tokens_predicted_total 40
llamacpp:kv_cache_usage_ratio 0.25
llamacpp:kv_cache_tokens 512
llamacpp:requests_processing 2
`;
  expect(llamacppReadings(parsePrometheus(text))).toEqual({
    prompt_tokens: 120,
    tokens_predicted: 40,
    kv_cache_usage: 0.25,
    kv_cache_tokens: 512,
    requests_processing: 2,
  });
});

test('a scrape without llamacpp: metrics gives no readings', () => {
  expect(llamacppReadings(parsePrometheus('vllm:num_requests_running{engine="0"} 3\n'))).toEqual({});
});
