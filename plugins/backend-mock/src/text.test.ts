import { expect, test } from 'vitest';
import { createMockServer, MockOptionsSchema } from './index.js';

const options = MockOptionsSchema.parse({ latency: { model: 'fixed', ms: 0 }, output_tokens: 3 });

test('with keepText the in-process mock answers the same text as the mock HTTP server, capped by maxTokens', async () => {
  const server = createMockServer(options, 1);
  const signal = new AbortController().signal;
  expect(await server.handle(signal, undefined, { keepText: true })).toMatchObject({ kind: 'ok', text: ' tok0 tok1 tok2' });
  expect(await server.handle(signal, undefined, { keepText: true, maxTokens: 2 })).toMatchObject({
    kind: 'ok',
    text: ' tok0 tok1',
  });
});

test('without keepText no text is kept', async () => {
  const outcome = await createMockServer(options, 1).handle(new AbortController().signal, undefined, {});
  expect(outcome.kind).toBe('ok');
  expect('text' in outcome).toBe(false);
});
