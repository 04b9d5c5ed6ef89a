import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/llmbench.js');

const SCENARIO = `backend: { use: mock, options: { latency: { model: fixed, ms: 5 } } }
workload: { requests: 20 }
experiments: [{ name: a, strategy: semaphore }]
`;

function llmbench(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) =>
    execFile(process.execPath, [bin, ...args], { cwd, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr, ms: performance.now() - started }),
    ),
  );
}

test('a report path that cannot be written is a usage error before any load, at once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
  await writeFile(join(dir, 's.yaml'), `${SCENARIO}reporters: [{ use: json, options: { output: /proc/nope/x.json } }]\n`);
  const ran = await llmbench(['run', 's.yaml'], dir);
  expect(ran.code).toBe(2);
  expect(ran.ms).toBeLessThan(5_000);
  expect(ran.stderr).toContain('/proc/nope/x.json');
  expect(ran.stderr).not.toMatch(/INTERNAL/);
});

test('--raw to a FIFO nobody reads, or to a directory, is a usage error instead of a hang', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
  await writeFile(join(dir, 's.yaml'), `${SCENARIO}reporters: []\n`);
  await new Promise<void>((resolve, reject) => execFile('mkfifo', [join(dir, 'pipe')], (e) => (e ? reject(e) : resolve())));
  const fifo = await llmbench(['run', 's.yaml', '--raw', 'pipe'], dir);
  expect(fifo.code).toBe(2);
  expect(fifo.stderr).toMatch(/--raw .*pipe is a FIFO/);
  const directory = await llmbench(['run', 's.yaml', '--raw', '.'], dir);
  expect(directory.code).toBe(2);
  expect(directory.stderr).toMatch(/--raw .* is a directory/);
});

test('SIGHUP (the terminal closed) stops the run and writes what was measured, marked interrupted and partial', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
  await writeFile(
    join(dir, 's.yaml'),
    `backend: { use: mock, options: { latency: { model: fixed, ms: 20 } } }
workload: { requests: 100000 }
experiments: [{ name: long, strategy: { use: semaphore, options: { concurrency: 4 } } }]
reporters: [{ use: console, options: { progress_interval_s: 0.1 } }, json, markdown]
`,
  );
  const child = spawn(process.execPath, [bin, 'run', 's.yaml', '--out', 'out'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Signal once the run is under way (its first progress line), not after a guessed sleep.
  await new Promise<void>((resolve) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('[long]')) resolve();
    });
  });
  const sent = performance.now();
  child.kill('SIGHUP');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(performance.now() - sent).toBeLessThan(2_000);
  expect(code, stderr).toBe(3);
  const files = await readdir(join(dir, 'out'));
  expect(files.filter((f) => f.endsWith('.tmp') || f.startsWith('.'))).toEqual([]);
  const results = JSON.parse(await readFile(join(dir, 'out', files.find((f) => f.endsWith('.json'))!), 'utf8')) as { status: string; experiments: { name: string; partial?: boolean }[] };
  expect(results.status).toBe('interrupted');
  expect(results.experiments).toMatchObject([{ name: 'long', partial: true }]);
  const md = await readFile(join(dir, 'out', files.find((f) => f.endsWith('.md'))!), 'utf8');
  expect(md).toMatch(/the run was interrupted; below are the experiments that ran, of which long is partial \([\d,]+ of 100,000 requests\)/);
});

test('a temp file left by a write that was killed is removed by the next write to the same file', async () => {
  const { writeFileAtomic } = await import('@llmbench/plugin-api');
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-debris-'));
  // A pid that cannot be running: the kernel's pid_max is below 2^22.
  await writeFile(join(dir, '.r.json.llmbench-4194304-1.tmp'), '{"half":');
  await writeFile(join(dir, '.other.json.llmbench-4194304-1.tmp'), 'another file\'s');
  await writeFileAtomic(join(dir, 'r.json'), '{}\n');
  expect((await readdir(dir)).sort()).toEqual(['.other.json.llmbench-4194304-1.tmp', 'r.json']);
});
