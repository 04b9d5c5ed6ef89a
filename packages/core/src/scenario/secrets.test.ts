import { expect, test } from 'vitest';
import { collectInlineSecrets, isCredentialKey } from './secrets.js';

test('credential-like names are recognised; names that merely contain "token" or "key" are not', () => {
  for (const k of [
    'authorization',
    'Authorization',
    'api_key',
    'api-key',
    'x-api-key',
    'apikey',
    'x-goog-api-key',
    'subscription-key',
    'access_token',
    'token',
    'client_secret',
    'password',
    'cookie',
  ]) {
    expect(isCredentialKey(k), k).toBe(true);
  }
  for (const k of [
    'max_tokens',
    'tokenizer',
    'output_tokens',
    'prefix_tokens',
    'keep_alive_timeout_ms',
    'cache_prompt',
    'monkey',
    'keys',
    'model',
  ]) {
    expect(isCredentialKey(k), k).toBe(false);
  }
});

test('inline secrets are collected by where they stand: credential fields, bearer tokens, URL passwords', () => {
  const found = new Set<string>();
  collectInlineSecrets(
    {
      servers: [
        { url: 'http://bob:s3cr%40t@host:1' },
        { backend: { options: { api_key: 'sk-1', headers: { 'x-api-key': 'xk-2', authorization: 'Bearer tok-3' } } } },
      ],
      workload: { max_tokens: 5, tokenizer: 'server', model: 'm' },
      ok: '${env:KEY}',
    },
    found,
  );
  expect([...found].sort()).toEqual(['Bearer tok-3', 'bob:s3cr@t', 's3cr%40t', 's3cr@t', 'sk-1', 'tok-3', 'xk-2']);
});
