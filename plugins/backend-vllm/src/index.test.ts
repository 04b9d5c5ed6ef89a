import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from 'vitest';
import type { Logger } from '@llmbench/plugin-api';
import vllm from './index.js';

/** llama-server's /metrics, as llama.cpp v0.5.0 writes it (no labels). */
const LLAMACPP_METRICS = `# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed, excluding cached tokens
# TYPE llamacpp:prompt_tokens_total counter
llamacpp:prompt_tokens_total 31
llamacpp:prompt_tokens_cached_total 29
llamacpp:tokens_predicted_total 10
llamacpp:requests_processing 0
`;

test('llama.cpp metrics to the vllm backend: empty readings and one warning naming the llamacpp backend', async () => {
  let scrapes = 0;
  const server = createServer((req, res) => {
    if (req.url === '/metrics') scrapes++;
    res.writeHead(req.url === '/metrics' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.url === '/metrics' ? LLAMACPP_METRICS : '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} };
  const b = await vllm.create(
    {
      logger,
      clock: { now: () => performance.now() },
      scenarioDir: '.',
      seed: 1,
      server: { id: 'gpu', url, maxConcurrentRequests: Infinity },
    },
    vllm.options.parse({}),
  );
  try {
    expect(await b.serverMetrics!()).toEqual({});
    expect(await b.serverMetrics!()).toEqual({});
    expect(scrapes).toBe(2);
    expect(warnings).toEqual([
      'gpu: GET /metrics answered without vllm: metrics (found llamacpp: metrics (llama.cpp)); use the llamacpp backend',
    ]);
  } finally {
    await b.teardown!();
    await new Promise((resolve) => server.close(resolve));
  }
});
