import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadScenario, runScenario } from '@llmbench/core';
import { startMockHttpServer } from '@llmbench/backend-mock';
import type { RunResults } from '@llmbench/plugin-api';
import { runNode } from '@llmbench/test-support';
import { builtinPlugins } from './builtins.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/llmbench.js');

test("the prefix-cache hit rate backend-vllm reports equals the server counters' delta", async () => {
  const server = await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 1 } } });
  try {
    await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: 'before the run' }] }),
    });
    const before = server.stats();
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-vllm-'));
    await writeFile(
      join(dir, 's.yaml'),
      `servers: [{ id: v, url: "${server.url}", backend: vllm }]
workload: { requests: 200, system_prompt: "${'You are a careful assistant. '.repeat(12)}", prompts: ["question {i}"] }
experiments: [{ name: a, strategy: { use: semaphore, options: { concurrency: 8 } } }]
reporters: []
`,
    );
    const scenario = await loadScenario(join(dir, 's.yaml'), { builtins: builtinPlugins(), env: {} });
    const { results, errors } = await runScenario(scenario, { version: 'test', threads: 2, out: { write() {}, isTTY: false } });
    expect(errors).toEqual([]);
    const after = server.stats();
    const hits = after.prefix_cache_hits - before.prefix_cache_hits;
    const queries = after.prefix_cache_queries - before.prefix_cache_queries;
    expect(hits).toBeGreaterThan(0);
    const s = results.experiments[0]!.summary;
    expect(s.prefix_cache_hit_rate).toBe(Math.round((hits / queries) * 1e6) / 1e6);
    expect(s.tokens.cached).toBe(hits);
    expect(s.server_metrics.v!.end).toMatchObject({
      prefix_cache_hits: after.prefix_cache_hits,
      prefix_cache_queries: after.prefix_cache_queries,
    });
    // vLLM gauges are also sampled during the run, as the series "server:<id>".
    const sampled = s.collectors['server:v']!;
    expect(sampled.kv_cache_usage!.samples).toBeGreaterThanOrEqual(2);
    expect(sampled.requests_running!.max).toBeGreaterThanOrEqual(0);
  } finally {
    await server.close();
  }
});

test('reset_prefix_cache empties the cache before each experiment, and a server that refuses is a warning', async () => {
  const server = await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 1 } } });
  // A vLLM started without VLLM_SERVER_DEV_MODE has no /reset_prefix_cache: 404.
  const { createServer } = await import('node:http');
  const plain = createServer((req, res) => {
    res.writeHead(req.url === '/reset_prefix_cache' ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ choices: [{ message: { content: 'ok' } }], usage: { prompt_tokens: 1, completion_tokens: 1 } }));
  });
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  try {
    const port = (plain.address() as { port: number }).port;
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-vllm-reset-'));
    await writeFile(
      join(dir, 's.yaml'),
      `servers:
  - { id: v, url: "${server.url}", backend: { use: vllm, options: { reset_prefix_cache: true } } }
  - { id: old, url: "http://127.0.0.1:${port}", backend: { use: vllm, options: { reset_prefix_cache: true, scrape_metrics: false } } }
workload: { requests: 40, prompts: ["${'the same long question, asked by every request of both experiments. '.repeat(4)}"] }
experiments:
  - { name: a, servers: [v], strategy: { use: semaphore, options: { concurrency: 1 } } }
  - { name: b, servers: [v], strategy: { use: semaphore, options: { concurrency: 1 } } }
  - { name: c, servers: [old], strategy: { use: semaphore, options: { concurrency: 1 } } }
  - { name: d, servers: [old], strategy: { use: semaphore, options: { concurrency: 1 } } }
reporters: []
`,
    );
    const warnings: string[] = [];
    const scenario = await loadScenario(join(dir, 's.yaml'), { builtins: builtinPlugins(), env: {} });
    const { results, errors } = await runScenario(scenario, {
      version: 'test',
      threads: 1,
      out: { write() {}, isTTY: false },
      logger: { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m) },
    });
    expect(errors).toEqual([]);
    const [a, b, c] = results.experiments;
    // Each of a and b starts empty: the first request misses, the 39 others hit; b does not inherit a's.
    expect(a!.summary.prefix_cache_hit_rate).toBeGreaterThan(0.8);
    expect(b!.summary.prefix_cache_hit_rate).toBe(a!.summary.prefix_cache_hit_rate);
    expect(c!.summary.successes).toBe(40);
    // Said once per experiment (each opens its own backends); the CLI prints a repeated warning once.
    expect(warnings).toHaveLength(2);
    expect([...new Set(warnings)]).toEqual([
      expect.stringMatching(
        /^old: cannot reset the prefix cache \(POST \/reset_prefix_cache answered 404\).*VLLM_SERVER_DEV_MODE=1/,
      ),
    ]);
  } finally {
    plain.close();
    await server.close();
  }
});

let mock: ChildProcess | undefined;

beforeAll(async () => {
  mock = spawn(process.execPath, [bin, 'mock-server', '--profile', 'vllm'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    mock!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on http://127.0.0.1:8000')) resolve();
    });
    mock!.once('exit', (code) => reject(new Error(`mock-server exited ${code}`)));
  });
});

afterAll(() => {
  mock?.kill('SIGINT');
});

test('scenarios/vllm-batch-vs-semaphore.yaml runs end to end against llmbench mock-server --profile vllm', async () => {
  const out = await mkdtemp(join(tmpdir(), 'llmbench-vllm-run-'));
  // A PATH with no nvidia-smi, as in CI: the scenario's gpu collector says so once and the run goes on.
  const path = await mkdtemp(join(tmpdir(), 'llmbench-no-gpu-'));
  const ran = await runNode([bin, 'run', 'scenarios/vllm-batch-vs-semaphore.yaml', '--out', out], {
    cwd: root,
    env: { ...process.env, PATH: path },
  });
  expect(ran.stderr).toBe(
    'warning: gpu: nvidia-smi not found (no NVIDIA driver here? else set nvidia_smi_path); the run goes on without GPU readings\n',
  );
  expect(ran.code).toBe(0);
  const files = (await readdir(out)).filter((f) => f.endsWith('.json'));
  const results = JSON.parse(await readFile(join(out, files[0]!), 'utf8')) as RunResults;
  const [batch, semaphore] = results.experiments;
  for (const e of results.experiments) {
    expect(e.summary).toMatchObject({ requests: 5000, successes: 5000 });
    expect(e.summary.prefix_cache_hit_rate).toBeGreaterThan(0.3);
  }
  expect(batch!.summary.latency_ms!.p50).toBeGreaterThan(semaphore!.summary.latency_ms!.p50);
  // The same prompts in both, from an emptied prefix cache (reset_prefix_cache): the same hit rate,
  // where the second experiment would otherwise find the first's 5,000 prompts cached.
  expect(semaphore!.summary.prefix_cache_hit_rate).toBe(batch!.summary.prefix_cache_hit_rate);
  expect(batch!.summary.server_metrics.vllm!.end.prefix_cache_queries).toBeGreaterThan(0);
}, 120_000);
