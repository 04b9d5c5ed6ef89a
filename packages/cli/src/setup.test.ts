import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadScenario, runScenario } from '@llmbench/core';
import { startMockHttpServer } from '@llmbench/backend-mock';
import { renderMarkdown } from '@llmbench/reporter-markdown';
import { builtinPlugins } from './builtins.js';

test('results and the Markdown name the URL a backend really sent to (base_url), and the model a request named', async () => {
  const server = await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 1 } } });
  try {
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-setup-'));
    const file = join(dir, 's.yaml');
    await writeFile(
      file,
      `servers:
  - { id: by-option, backend: { use: openai, options: { base_url: "${server.url}/ignored/path" } } }
workload: { requests: 10, model: the-workload-model }
experiments: [{ name: a, strategy: semaphore }]
reporters: []
`,
    );
    const scenario = await loadScenario(file, { builtins: builtinPlugins(), env: {} });
    const { results, errors } = await runScenario(scenario, { version: 'test', threads: 1, out: { write() {}, isTTY: false } });
    expect(errors).toEqual([]);
    expect(results.servers).toEqual([{ id: 'by-option', backend: 'openai', url: server.url, max_concurrent_requests: null }]);
    expect(results.experiments[0]!.summary.successes).toBe(10);
    const md = renderMarkdown(results);
    expect(md).toContain(`| by-option | openai | ${server.url} | the-workload-model | unlimited |`);
  } finally {
    await server.close();
  }
});
