import { expect, test } from 'vitest';
import { runNode, runProcess, startNode, withoutTestRunner } from './index.js';

test('the exit code, stdout and stderr come back whole, a multi-byte character split across writes included', async () => {
  const script = `
    const euro = Buffer.from('€');
    process.stdout.write(euro.subarray(0, 1));
    setTimeout(() => { process.stdout.write(euro.subarray(1)); process.stderr.write('err'); process.exit(3); }, 20);
  `;
  const ran = await runNode(['-e', script]);
  expect([ran.code, ran.signal, ran.stdout, ran.stderr]).toEqual([3, null, '€', 'err']);
  expect(ran.ms).toBeGreaterThan(0);
});

test('cwd and env are the given ones, and the child reads no stdin', async () => {
  const ran = await runNode(
    ['-e', 'process.stdin.on("end", () => process.stdout.write(`${process.cwd()} ${process.env.ONLY}`)).resume()'],
    {
      cwd: '/',
      env: { ONLY: 'this' },
    },
  );
  expect([ran.code, ran.stdout]).toEqual([0, '/ this']);
});

test('a child that outlives the time bound is killed: no exit code, SIGKILL', async () => {
  const ran = await runNode(['-e', 'process.stdout.write("started"); setInterval(() => {}, 1000)'], { timeoutMs: 300 });
  expect([ran.code, ran.signal, ran.stdout]).toEqual([null, 'SIGKILL', 'started']);
});

test('a started child can be signalled on what it printed, and its end says which signal', async () => {
  const started = startNode(['-e', 'process.stdout.write("ready"); setInterval(() => {}, 1000)']);
  started.child.stdout.on('data', (d: string) => d.includes('ready') && started.child.kill('SIGINT'));
  const ran = await started.done;
  expect([ran.code, ran.signal, ran.stdout]).toEqual([null, 'SIGINT', 'ready']);
});

test('a command that cannot be started rejects', async () => {
  await expect(runProcess('/nonexistent/llmbench-test-support', [])).rejects.toMatchObject({ code: 'ENOENT' });
});

test("withoutTestRunner drops vitest's variables and NODE_ENV, and keeps the rest", () => {
  expect(withoutTestRunner({ VITEST: 'true', VITEST_POOL_ID: '1', NODE_ENV: 'test', PATH: '/bin', NO_COLOR: '1' })).toEqual({
    PATH: '/bin',
    NO_COLOR: '1',
  });
});
