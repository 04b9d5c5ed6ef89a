import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import type { RunResults } from '@llmbench/plugin-api';
import { type Ran, runNode } from '@llmbench/test-support';

/** Reports as files: re-rendered from results alone, and free of secrets. */
const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const bin = join(root, 'packages/cli/bin/llmbench.js');

function llmbench(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  return runNode([bin, ...args], { cwd, env: { ...process.env, ...env, NO_COLOR: '1' }, timeoutMs: 60_000 });
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) out.push(...(await files(path)));
    else out.push(path);
  }
  return out;
}

let server: MockHttpServer;
beforeAll(async () => {
  server = await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 2 } } });
});
afterAll(async () => {
  await server.close();
});

test("llmbench report re-renders the Markdown the run wrote, byte for byte, with the reporter's options", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-report-'));
  await writeFile(
    join(dir, 'scenario.yaml'),
    `name: report-check
description: Does the report come back the same?
backend: { use: mock, options: { latency: { model: uniform, min_ms: 1, max_ms: 3 } } }
runs: 2
workload: { requests: 60 }
experiments:
  - { name: sem-2, strategy: { use: semaphore, options: { concurrency: 2 } } }
  - { name: sem-8, strategy: { use: semaphore, options: { concurrency: 8 } } }
reporters:
  - { use: json, options: { output: "out/{scenario}.json" } }
  - { use: markdown, options: { output: "out/{scenario}.md", percentiles: [50, 90] } }
`,
  );
  const ran = await llmbench(['run', 'scenario.yaml'], dir);
  expect(ran.stderr).toBe('');
  expect(ran.code).toBe(0);
  const written = await readFile(join(dir, 'out/report-check.md'), 'utf8');
  expect(written).toContain('| Latency p90 |');
  const again = await llmbench(['report', 'out/report-check.json', '-o', 'again.md'], dir);
  expect(again.code).toBe(0);
  expect(await readFile(join(dir, 'again.md'), 'utf8')).toBe(written);
  const stdout = await llmbench(['report', 'out/report-check.json'], dir);
  expect(stdout.stdout).toBe(written);
  const console = await llmbench(['report', 'out/report-check.json', '--format', 'console'], dir);
  expect(console.stdout).toContain('EXPERIMENT: sem-8');
  expect(console.stdout).toContain('SUMMARY');
  const bad = await llmbench(['report', 'scenario.yaml'], dir);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('not an llmbench results file');
});

test('no value from ${env:...} (an API key, a model name) reaches any file a run writes, or its output', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-secrets-'));
  const key = 'sk-live-PLANTED-7f3a9c1e5b';
  const model = 'private-model-PLANTED-42';
  await writeFile(
    join(dir, 'scenario.yaml'),
    `name: secrets
servers:
  - id: s1
    url: ${server.url}
    backend: { use: openai, options: { api_key: "\${env:LLMBENCH_TEST_KEY}" } }
workload: { requests: 40, model: "\${env:LLMBENCH_TEST_MODEL}", stream: true }
experiments:
  - { name: sweep, strategy: { use: scaling, options: { concurrency_levels: [1, 4] } } }
reporters:
  - console
  - { use: json, options: { output: "out/{scenario}.json" } }
  - { use: markdown, options: { output: "out/{scenario}.md" } }
  - { use: benchmark-json, options: { output: "out/{scenario}-benchmark.json" } }
`,
  );
  const env = { LLMBENCH_TEST_KEY: key, LLMBENCH_TEST_MODEL: model };
  const ran = await llmbench(['run', 'scenario.yaml', '--raw', 'out/raw.jsonl'], dir, env);
  expect(ran.code).toBe(0);
  const validate = await llmbench(['validate', 'scenario.yaml'], dir, env);
  const report = await llmbench(['report', 'out/secrets.json'], dir, env);
  const written = await files(dir);
  expect(written.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
    'out/raw.jsonl',
    'out/secrets-benchmark.json',
    'out/secrets.json',
    'out/secrets.md',
    'scenario.yaml',
  ]);
  for (const file of written.filter((f) => !f.endsWith('scenario.yaml'))) {
    const text = await readFile(file, 'utf8');
    expect(text.length, file).toBeGreaterThan(0);
    expect(text.includes(key), `${file} contains the API key`).toBe(false);
    expect(text.includes(model), `${file} contains the model name`).toBe(false);
  }
  for (const out of [ran, validate, report]) {
    expect(out.stdout + out.stderr).not.toContain(key);
    expect(out.stdout + out.stderr).not.toContain(model);
  }
  // The values were used (the run succeeded against the server) and show as redacted.
  const results = JSON.parse(await readFile(join(dir, 'out/secrets.json'), 'utf8')) as {
    experiments: { summary: { successes: number } }[];
    scenario: { definition: unknown };
  };
  expect(results.experiments.every((e) => e.summary.successes === 40)).toBe(true);
  expect(JSON.stringify(results.scenario.definition)).toContain('[redacted]');
});

test("a collector that fails mid-run is reported (exit 3) and the run's measurements are all kept", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-collector-'));
  const collector = fileURLToPath(new URL('./__fixtures__/flaky-collector.mjs', import.meta.url));
  await writeFile(
    join(dir, 'scenario.yaml'),
    `name: flaky
backend: { use: mock, options: { latency: { model: fixed, ms: 5 } } }
workload: { requests: 100 }
collectors: [{ use: ${JSON.stringify(collector)}, interval_ms: 50 }]
experiments:
  - { name: first, strategy: { use: semaphore, options: { concurrency: 2 } } }
  - { name: second, strategy: { use: semaphore, options: { concurrency: 4 } } }
reporters:
  - { use: json, options: { output: "out/{scenario}.json" } }
  - { use: markdown, options: { output: "out/{scenario}.md" } }
`,
  );
  const ran = await llmbench(['run', 'scenario.yaml'], dir);
  expect(ran.code).toBe(3);
  expect(ran.stderr).toContain(`experiment first, run 1: ${collector} failed: sensor went away`);
  const results = JSON.parse(await readFile(join(dir, 'out/flaky.json'), 'utf8')) as RunResults;
  expect(results.experiments.map((e) => [e.name, e.summary.requests, e.summary.successes])).toEqual([
    ['first', 100, 100],
    ['second', 100, 100],
  ]);
  // The readings taken before it failed are there, and the report shows them.
  expect(results.experiments[0]!.summary.collectors[collector]!.gpu_memory_gb!.max).toBe(12);
  expect(await readFile(join(dir, 'out/flaky.md'), 'utf8')).toContain('| **GPU memory (avg / peak)** | 11.5 / 12 | - |');
});

test('a backend that fails to prepare its server is reported (exit 3) and the point is still measured', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-prepare-'));
  const backend = fileURLToPath(new URL('./__fixtures__/unpreparable-backend.mjs', import.meta.url));
  await writeFile(
    join(dir, 'scenario.yaml'),
    `name: unprepared
backend: { use: ${JSON.stringify(backend)} }
workload: { requests: 30 }
experiments:
  - { name: first, strategy: { use: semaphore, options: { concurrency: 2 } } }
  - { name: second, strategy: { use: semaphore, options: { concurrency: 2 } } }
  - { name: third, strategy: { use: semaphore, options: { concurrency: 2 } } }
reporters: [{ use: json, options: { output: "out/{scenario}.json" } }]
`,
  );
  const ran = await llmbench(['run', 'scenario.yaml'], dir);
  expect(ran.code).toBe(3);
  expect(ran.stderr).toMatch(
    /PLUGIN_FAILED\]: experiment second: server \S+: preparing the server failed: cache would not clear/,
  );
  const results = JSON.parse(await readFile(join(dir, 'out/unprepared.json'), 'utf8')) as RunResults;
  expect(results.experiments.map((e) => [e.name, e.summary.successes])).toEqual([
    ['first', 30],
    ['second', 30],
    ['third', 30],
  ]);
});

test('a results file of another format version is named as such, exit 2', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-version-'));
  await writeFile(join(dir, 'old.json'), '{"schema_version": 1, "experiments": []}\n');
  const ran = await llmbench(['report', 'old.json'], dir);
  expect(ran.code).toBe(2);
  expect(ran.stderr).toContain('old.json: results format version 1; this llmbench reads version 2');
});
