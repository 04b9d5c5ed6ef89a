import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadScenario, runScenario } from '@llmbench/core';
import { startMockHttpServer } from '@llmbench/backend-mock';
import type { RunResults } from '@llmbench/plugin-api';
import { builtinPlugins } from './builtins.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/llmbench.js');

test('the prefix-cache hit rate backend-vllm reports equals the server counters\' delta', async () => {
  const server = await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 1 } } });
  try {
    await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'before the run' }] }) });
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
    expect(s.server_metrics.v!.end).toMatchObject({ prefix_cache_hits: after.prefix_cache_hits, prefix_cache_queries: after.prefix_cache_queries });
    // vLLM gauges are also sampled during the run, as the series "server:<id>".
    const sampled = s.collectors['server:v']!;
    expect(sampled.kv_cache_usage!.samples).toBeGreaterThanOrEqual(2);
    expect(sampled.requests_running!.max).toBeGreaterThanOrEqual(0);
  } finally {
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
  const ran = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, 'run', 'scenarios/vllm-batch-vs-semaphore.yaml', '--out', out], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
  expect(ran.stderr).toBe('');
  expect(ran.code).toBe(0);
  const files = (await readdir(out)).filter((f) => f.endsWith('.json'));
  const results = JSON.parse(await readFile(join(out, files[0]!), 'utf8')) as RunResults;
  const [batch, semaphore] = results.experiments;
  for (const e of results.experiments) {
    expect(e.summary).toMatchObject({ requests: 5000, successes: 5000 });
    expect(e.summary.prefix_cache_hit_rate).toBeGreaterThan(0.3);
  }
  expect(batch!.summary.latency_ms!.p50).toBeGreaterThan(semaphore!.summary.latency_ms!.p50);
  expect(batch!.summary.server_metrics.vllm!.end.prefix_cache_queries).toBeGreaterThan(0);
}, 120_000);
