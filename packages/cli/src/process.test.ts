import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import { RESEARCH_PRESET } from '@llmbench/core';
import { type Ran, startNode } from '@llmbench/test-support';

/**
 * `llmbench process` end to end with the built binary: two loopback mock workers, 20 documents x
 * the research preset (100 tasks), a run stopped halfway (Ctrl-C, or killed outright), then the same
 * command again. What is on disk at the end is checked against what the job must leave.
 */
const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const bin = join(root, 'packages/cli/bin/llmbench.js');
const DOCUMENTS = 20;
const TOKENS = 12;
const ANSWER = Array.from({ length: TOKENS }, (_, i) => ` tok${i}`).join('');

let servers: MockHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function setup(latencyMs: number): Promise<{ dir: string; args: string[] }> {
  servers = await Promise.all(
    [1, 2].map((seed) =>
      startMockHttpServer({ port: 0, mock: { latency: { model: 'fixed', ms: latencyMs }, output_tokens: TOKENS, seed } }),
    ),
  );
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-process-'));
  await mkdir(join(dir, 'papers'));
  for (let i = 1; i <= DOCUMENTS; i++) {
    await writeFile(
      join(dir, 'papers', `paper-${String(i).padStart(2, '0')}.${i % 4 === 0 ? 'txt' : 'md'}`),
      `# Paper ${i}\n\nWe measured ${i * 7} things.\n`,
    );
  }
  await writeFile(join(dir, 'papers', 'scan.pdf'), '%PDF-1.4\n');
  const workers = servers.map((s, i) => ({
    id: `worker-${i + 1}`,
    host: '127.0.0.1',
    port: s.port,
    type: 'openai',
    max_concurrent_requests: 2,
  }));
  await writeFile(join(dir, 'workers.json'), JSON.stringify({ workers }));
  return {
    dir,
    args: [
      bin,
      'process',
      '--config',
      'workers.json',
      '--input',
      'papers',
      '--preset',
      'research',
      '--out',
      'answers',
      '--threads',
      '1',
    ],
  };
}

/** Runs the CLI; once `stop.after` answers are indexed, sends it `stop.signal`. */
function runCli(dir: string, args: string[], stop?: { after: number; signal: NodeJS.Signals }): Promise<Ran> {
  const { child, done } = startNode(args, { cwd: dir, env: { ...process.env, NO_COLOR: '1', CI: '1' } });
  if (!stop) return done;
  return new Promise((resolvePromise, reject) => {
    const watcher = setInterval(() => {
      void readFile(join(dir, 'answers', 'index.jsonl'), 'utf8').then(
        (text) => {
          if (text.split('\n').length - 1 >= stop.after && !child.killed) {
            clearInterval(watcher);
            child.kill(stop.signal);
          }
        },
        (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') reject(error);
        },
      );
    }, 5);
    done.then(resolvePromise, reject).finally(() => clearInterval(watcher));
  });
}

/** Every file under `dir`, relative, with "/" separators. */
async function files(dir: string, base = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, base), { withFileTypes: true })) {
    const rel = base ? `${base}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await files(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** The job's end state: exactly one whole answer per task, and an index that says so. */
async function expectComplete(dir: string): Promise<void> {
  const out = join(dir, 'answers');
  const all = await files(out);
  const answers = all.filter((f) => f !== 'index.jsonl').sort();
  const expected = Array.from({ length: DOCUMENTS }, (_, i) =>
    RESEARCH_PRESET.map((p) => `paper-${String(i + 1).padStart(2, '0')}/${p.id}.md`),
  )
    .flat()
    .sort();
  expect(answers).toEqual(expected);
  for (const f of answers) expect(await readFile(join(out, f), 'utf8')).toBe(ANSWER);
  const lines = (await readFile(join(out, 'index.jsonl'), 'utf8')).split('\n');
  expect(lines.pop()).toBe('');
  const entries = lines.map(
    (l) =>
      JSON.parse(l) as { document: string; prompt: string; file: string; server: string; bytes: number; output_tokens: number },
  );
  expect(entries.map((e) => e.file).sort()).toEqual(expected);
  expect(new Set(entries.map((e) => `${e.document}|${e.prompt}`)).size).toBe(DOCUMENTS * RESEARCH_PRESET.length);
  for (const e of entries) {
    expect((await stat(join(out, e.file))).size).toBe(e.bytes);
    expect(e.output_tokens).toBe(TOKENS);
    expect(['worker-1', 'worker-2']).toContain(e.server);
  }
}

describe('llmbench process', () => {
  test('saves one answer per document and prompt with an index, and a second run has nothing to do', async () => {
    const { dir, args } = await setup(5);
    const first = await runCli(dir, args);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('20 documents x 5 prompts of preset "research" = 100 tasks');
    expect(first.stdout).toContain('skipped 1 PDF');
    expect(first.stdout).toMatch(/Throughput: [\d.,]+ tasks\/min/);
    expect(first.stdout).toMatch(/worker-1: \d+ tasks, [\d.]+% of tasks, busy [\d.]+%/);
    await expectComplete(dir);
    expect(servers.reduce((n, s) => n + s.stats().requests_received, 0)).toBe(100);
    const again = await runCli(dir, args);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to do: all 100 tasks have their answers');
    expect(servers.reduce((n, s) => n + s.stats().requests_received, 0)).toBe(100);
  }, 30_000);

  test.each(['SIGINT', 'SIGKILL'] as const)(
    'stopped halfway by %s, run again: exactly 100 whole answers, none lost or repeated',
    async (signal) => {
      const { dir, args } = await setup(40);
      const stopped = await runCli(dir, args, { after: 50, signal });
      if (signal === 'SIGINT') expect(stopped.code).toBe(3);
      else expect(stopped.signal).toBe('SIGKILL');
      const saved = (await readFile(join(dir, 'answers', 'index.jsonl'), 'utf8')).split('\n').length - 1;
      expect(saved).toBeGreaterThanOrEqual(50);
      expect(saved).toBeLessThan(100);
      const resumed = await runCli(dir, args);
      expect(resumed.code).toBe(0);
      const done = Number(/(\d+) already done/.exec(resumed.stdout)?.[1]);
      expect(done).toBeGreaterThanOrEqual(50);
      expect(resumed.stdout).toContain(`${100 - done} to do`);
      await expectComplete(dir);
    },
    40_000,
  );
});
