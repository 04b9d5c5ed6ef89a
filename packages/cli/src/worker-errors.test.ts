import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { type Ran, runNode } from '@llmbench/test-support';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/llmbench.js');
const backend = fileURLToPath(new URL('./__fixtures__/worker-failing-backend.mjs', import.meta.url));

function run(distinct: boolean, debug: boolean): Promise<Ran> {
  return mkdtemp(join(tmpdir(), 'llmbench-worker-errors-')).then(async (dir) => {
    await writeFile(
      join(dir, 's.yaml'),
      `backend: { use: "${backend}", options: { distinct: ${distinct} } }
workload: { requests: 20 }
experiments: [{ name: a, strategy: { use: semaphore, options: { concurrency: 4 } } }]
reporters: []
`,
    );
    return runNode([bin, 'run', 's.yaml', '--threads', '2', ...(debug ? ['--debug'] : [])], { cwd: dir, timeoutMs: 60_000 });
  });
}

test("a worker thread's warnings reach the CLI's logger, said once however many threads say them", async () => {
  const { stderr } = await run(false, false);
  expect(stderr.match(/^warning: hello from a worker thread$/gm)).toHaveLength(1);
});

test('the same failure in every worker thread is one error that keeps its code, hint and cause', async () => {
  const { code, stderr } = await run(false, true);
  expect(code).toBe(3);
  expect(stderr.match(/^error \[BACKEND_UNREACHABLE\]: the worker cannot reach its server$/gm)).toHaveLength(1);
  expect(stderr).toMatch(/^caused by: Error: root cause: no route$/m);
  expect(stderr).toContain('check the route from the worker threads');
  expect(stderr).toContain('root cause: no route');
});

test('different failures in worker threads are all reported', async () => {
  const { code, stderr } = await run(true, false);
  expect(code).toBe(3);
  expect(stderr).toMatch(
    /2 different failures in worker threads: the worker cannot reach its server \(thread \d+\); the worker cannot reach its server \(thread \d+\)/,
  );
  expect(stderr).toContain('check the route from the worker threads');
});
