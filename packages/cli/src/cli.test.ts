import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, test } from 'vitest';
import type { RunResults } from '@llmbench/plugin-api';
import { type Ran, runNode, startNode } from '@llmbench/test-support';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/llmbench.js');

/** Runs the built CLI as a user would, in `cwd`. */
function llmbench(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  return runNode([bin, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...options.env, NO_COLOR: '1' },
    timeoutMs: 60_000,
  });
}

async function tempDir(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-cli-'));
  await writeFile(join(dir, 'package.json'), '{"name":"t","private":true}\n');
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

async function onlyResults(dir: string): Promise<RunResults> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  return JSON.parse(await readFile(join(dir, files[0]!), 'utf8')) as RunResults;
}

async function resultsValidator() {
  const schema = JSON.parse(await readFile(join(root, 'schemas/results.schema.json'), 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

describe('llmbench run', () => {
  test('the quickstart runs both experiments, prints their summaries and writes valid results where batch-50 has the higher latency', async () => {
    const out = await mkdtemp(join(tmpdir(), 'llmbench-qs-'));
    const ran = await llmbench(['run', 'scenarios/quickstart.yaml', '--out', out]);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('EXPERIMENT: batch-50 (batch, batch_size=50)');
    expect(ran.stdout).toContain('EXPERIMENT: semaphore-10 (semaphore, concurrency=10)');
    expect(ran.stdout).toMatch(/Requests\/sec: \d+/);
    expect(ran.stdout).toMatch(/Worker utilization:\n {2}mock: 1,000 requests, 100\.0% success rate/);

    const results = await onlyResults(out);
    const validate = await resultsValidator();
    expect(validate(results), JSON.stringify(validate.errors)).toBe(true);
    const [batch, semaphore] = results.experiments;
    expect([batch!.name, semaphore!.name]).toEqual(['batch-50', 'semaphore-10']);
    for (const e of results.experiments) {
      expect(e.summary.requests).toBe(1000);
      expect(e.summary.success_rate).toBe(1);
    }
    expect(batch!.summary.latency_ms!.p50).toBeGreaterThan(2 * semaphore!.summary.latency_ms!.p50);
    expect(batch!.summary.barrier!.batches).toBe(20);
    expect(results.passed).toBe(true);
  });

  test('the quickstart gives the same request counts with any thread count', async () => {
    const counts: unknown[] = [];
    for (const threads of ['1', '4']) {
      const out = await mkdtemp(join(tmpdir(), 'llmbench-qs-t'));
      const ran = await llmbench(['run', 'scenarios/quickstart.yaml', '--threads', threads, '--out', out]);
      expect(ran.code).toBe(0);
      const results = await onlyResults(out);
      counts.push(
        results.experiments.map((e) => [e.name, e.summary.requests, e.summary.successes, e.summary.barrier?.batches ?? null]),
      );
    }
    expect(counts[0]).toEqual([
      ['batch-50', 1000, 1000, 20],
      ['semaphore-10', 1000, 1000, null],
    ]);
    expect(counts[1]).toEqual(counts[0]);
  });

  test('the mock server never sees more than C in flight under a semaphore, nor more than N under a batch', async () => {
    const dir = await tempDir({
      's.yaml': `
backend: { use: mock, options: { latency: { model: uniform, min_ms: 1, max_ms: 6 } } }
workload: { requests: 300 }
experiments:
  - { name: sem, strategy: { use: semaphore, options: { concurrency: 8 } } }
  - { name: bat, strategy: { use: batch, options: { size: 12 } } }
reporters: [json]
`,
    });
    const ran = await llmbench(['run', 's.yaml', '--out', 'out'], { cwd: dir });
    expect(ran.code).toBe(0);
    const results = await onlyResults(join(dir, 'out'));
    const [sem, bat] = results.experiments;
    expect(sem!.summary.server_metrics.mock!.end).toMatchObject({ max_in_flight: 8, requests_received: 300 });
    expect(bat!.summary.server_metrics.mock!.end).toMatchObject({ max_in_flight: 12, requests_received: 300 });
  });

  test('runs: N repeats each experiment and pools the runs in the summary', async () => {
    const dir = await tempDir({
      's.yaml': `
backend: { use: mock, options: { latency: { model: fixed, ms: 1 } } }
workload: { requests: 40 }
runs: 3
experiments: [{ name: a, strategy: semaphore }]
reporters: [json]
`,
    });
    expect((await llmbench(['run', 's.yaml', '--out', 'out'], { cwd: dir })).code).toBe(0);
    const [a] = (await onlyResults(join(dir, 'out'))).experiments;
    expect(a!.runs.map((r) => [r.run, r.requests])).toEqual([
      [1, 40],
      [2, 40],
      [3, 40],
    ]);
    expect(a!.summary.requests).toBe(120);
  });

  test('a failed threshold exits 1 and still writes the results', async () => {
    const dir = await tempDir({
      's.yaml': `
backend: { use: mock, options: { latency: { model: fixed, ms: 2 }, error_rate: 0.5 } }
workload: { requests: 50 }
experiments: [{ name: a, strategy: semaphore }]
thresholds: [{ metric: success_rate, min: 0.99 }]
reporters: [console, json]
`,
    });
    const ran = await llmbench(['run', 's.yaml', '--out', 'out'], { cwd: dir });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/FAIL {2}a: success_rate >= 0\.99 \(actual 0\.\d+\)/);
    const results = await onlyResults(join(dir, 'out'));
    expect(results.passed).toBe(false);
    expect(results.experiments[0]!.summary.failures.http_error).toBeGreaterThan(0);
  });

  test('a plugin failing mid-run exits 3, prints a message (no stack) and keeps what was measured', async () => {
    const dir = await tempDir({
      'boom.mjs': `export default { kind: 'strategy', name: 'boom', options: { safeParse: (v) => ({ success: true, data: v }) },
  create: () => ({ points: () => { throw new Error('cannot plan'); } }) };\n`,
      's.yaml': `
backend: { use: mock, options: { latency: { model: fixed, ms: 1 } } }
workload: { requests: 20 }
experiments:
  - { name: first, strategy: semaphore }
  - { name: second, strategy: ./boom.mjs }
reporters: [json]
`,
    });
    const ran = await llmbench(['run', 's.yaml', '--out', 'out'], { cwd: dir });
    expect(ran.code).toBe(3);
    expect(ran.stderr).toContain('error [PLUGIN_FAILED]: strategy ./boom.mjs failed: cannot plan');
    expect(ran.stderr).not.toMatch(/\n\s+at /);
    const results = await onlyResults(join(dir, 'out'));
    expect(results.status).toBe('failed');
    expect(results.experiments.map((e) => [e.name, e.summary.requests])).toEqual([['first', 20]]);
  });

  test('Ctrl-C stops the run: exit 3, and what was measured is written with status interrupted', async () => {
    const dir = await tempDir({
      's.yaml': `
backend: { use: mock, options: { latency: { model: fixed, ms: 20 } } }
workload: { requests: 100000 }
experiments: [{ name: long, strategy: { use: semaphore, options: { concurrency: 4 } } }]
reporters: [json, { use: console, options: { progress_interval_s: 0.2 } }]
`,
    });
    // Ctrl-C once the load is under way: at the first progress line (requests done), not after a sleep.
    const { child, done } = startNode([bin, 'run', 's.yaml', '--out', 'out'], { cwd: dir, timeoutMs: 60_000 });
    let seen = '';
    child.stdout.on('data', (chunk: string) => {
      seen += chunk;
      if (/\[long[^\]]*\] [1-9][\d,]*\//.test(seen) && !child.killed) child.kill('SIGINT');
    });
    const ran = await done;
    expect(ran.code).toBe(3);
    const results = await onlyResults(join(dir, 'out'));
    expect(results.status).toBe('interrupted');
    const s = results.experiments[0]!.summary;
    expect(s.requests).toBeGreaterThan(0);
    expect(s.requests).toBeLessThan(100000);
    expect(s.requests).toBe(s.successes + s.failures.aborted);
  });

  test('values from the environment never reach the results file', async () => {
    const dir = await tempDir({
      's.yaml': `
backend: mock
servers: [{ id: gpu, url: "http://\${env:SECRET_HOST}:8000", backend: mock }]
workload: { requests: 5 }
experiments: [{ name: a, strategy: semaphore }]
reporters: [json]
`,
    });
    const ran = await llmbench(['run', 's.yaml', '--out', 'out'], {
      cwd: dir,
      env: { SECRET_HOST: 'very-secret-host.internal' },
    });
    expect(ran.code).toBe(0);
    const text = await readFile(join(dir, 'out', (await readdir(join(dir, 'out')))[0]!), 'utf8');
    expect(text).not.toContain('very-secret-host');
    expect(text).toContain('[redacted]');
  });
});

describe('llmbench validate', () => {
  test('a broken file prints every issue with its line and exits 2', async () => {
    const dir = await tempDir({
      'bad.yaml': `backend: mock
workload:
  requests: -1
experiments:
  - name: a
    strategy: { use: semaphore, options: { concurency: 10 } }
  - name: b
    strategy: { use: fifo }
`,
    });
    const ran = await llmbench(['validate', 'bad.yaml'], { cwd: dir });
    expect(ran.code).toBe(2);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toBe(
      [
        'error [CONFIG_INVALID]: bad.yaml: 3 problems found',
        '  bad.yaml:3:13  workload.requests: -1 is out of range (expected a number > 0)',
        '    fix: change "requests" to a number > 0',
        '  bad.yaml:6:44  experiments.0.strategy.options.concurency: unknown field "concurency" (expected one of concurrency)',
        '    fix: did you mean "concurrency"?',
        '  bad.yaml:8:22  experiments.1.strategy.use: no strategy plugin "fifo"; tried:',
        '    - @llmbench/strategy-fifo (not installed)',
        '    - fifo (not installed)',
        '    fix: use one of the known strategies (batch, rate, scaling, semaphore), install @llmbench/strategy-fifo, or give a path to a module',
        '',
      ].join('\n'),
    );
  });

  test('a valid file is summarised and exits 0', async () => {
    const ran = await llmbench(['validate', 'scenarios/quickstart.yaml']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('scenarios/quickstart.yaml is valid');
    expect(ran.stdout).toContain('experiment batch-50: batch {"size":50}, 1000 requests x 1 run(s), 20 warmup');
  });

  test('a missing file exits 2 with a message', async () => {
    const ran = await llmbench(['validate', 'nope.yaml']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/^error \[FILE_NOT_FOUND\]: .*nope\.yaml: no such file\n/);
  });
});

describe('usage', () => {
  test('--help documents the commands and exit codes', async () => {
    const ran = await llmbench(['--help']);
    expect(ran.code).toBe(0);
    for (const text of [
      'run [options] <scenario>',
      'validate <scenario>',
      'plugins',
      'Exit codes:',
      '2  usage or configuration error',
    ]) {
      expect(ran.stdout).toContain(text);
    }
  });

  test('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'packages/cli/package.json'), 'utf8')) as { version: string };
    expect((await llmbench(['--version'])).stdout.trim()).toBe(pkg.version);
  });

  test('an unknown command or option exits 2', async () => {
    expect((await llmbench(['frobnicate'])).code).toBe(2);
    expect((await llmbench(['run', 'x.yaml', '--bogus'])).code).toBe(2);
  });

  test('a bad --threads value exits 2 with the reason', async () => {
    const ran = await llmbench(['run', 'scenarios/quickstart.yaml', '--threads', '0']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain("option '-t, --threads <n>' argument '0' is invalid. expected a whole number >= 1");
  });

  test('plugins lists the built-ins, by kind then name, with their options', async () => {
    const ran = await llmbench(['plugins', '--json']);
    expect(ran.code).toBe(0);
    const list = JSON.parse(ran.stdout) as { kind: string; name: string; options: Record<string, { default?: unknown }> }[];
    expect(list.map((p) => `${p.kind}:${p.name}`)).toEqual([
      'backend:llamacpp',
      'backend:lmstudio',
      'backend:mock',
      'backend:openai',
      'backend:vllm',
      'strategy:batch',
      'strategy:rate',
      'strategy:scaling',
      'strategy:semaphore',
      'reporter:benchmark-json',
      'reporter:console',
      'reporter:json',
      'reporter:markdown',
      'collector:gpu',
    ]);
    expect(list.find((p) => p.name === 'scaling')!.options.concurrency_levels!.default).toEqual([1, 5, 10, 20, 50, 100]);
    expect(list.find((p) => p.name === 'batch')!.options.size!.default).toBe(50);
  });
});

describe('llmbench benchmark', () => {
  test('a broken workers file is reported at its line and field, with exit 2 and nothing run', async () => {
    const dir = await tempDir({
      'workers.json': '{"workers": [\n  {"id": "a", "host": "127.0.0.1", "port": "x", "type": "lm_studio"}\n]}\n',
    });
    const ran = await llmbench(['benchmark', '-c', 'workers.json', '-o', 'out.json'], { cwd: dir });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('workers.json:2:44  workers.0.port: "x" is a string (expected number)');
    expect(await readdir(dir)).not.toContain('out.json');
  });

  test('a missing workers file names the flag', async () => {
    const dir = await tempDir();
    const ran = await llmbench(['benchmark', '--config', 'config/my_workers.json'], { cwd: dir });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('--config config/my_workers.json: no such file');
  });
});
