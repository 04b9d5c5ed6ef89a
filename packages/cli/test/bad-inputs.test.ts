import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Ran, runNode } from '@llmbench/test-support';

/**
 * The bad-inputs corpus: every user mistake in `bad-inputs/` must be answered with exit 2, the
 * file:line:column, the dotted field and the fix; never "INTERNAL", never a stack trace. The cases
 * and what each must print are in `bad-inputs/cases.json`.
 */
const corpus = fileURLToPath(new URL('./bad-inputs/', import.meta.url));
const bin = fileURLToPath(new URL('../bin/llmbench.js', import.meta.url));

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly exit: number;
  readonly cwd?: string;
  /** `file:line:column` (or just `file` when the problem has no line), as printed; a trailing ":" leaves the column open. */
  readonly at?: string;
  readonly field?: string;
  readonly message: string;
  /** Part of the "fix:" line. */
  readonly fix?: string;
}

const { cases } = JSON.parse(readFileSync(join(corpus, 'cases.json'), 'utf8')) as { cases: Case[] };

function llmbench(args: readonly string[], cwd: string): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.LLMBENCH_CORPUS_UNSET_URL;
  return runNode([bin, ...args], { cwd, env, timeoutMs: 30_000 });
}

let busy: Server;
let busyPort = '';

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = String((busy.address() as { port: number }).port);
});

afterAll(async () => {
  await new Promise<void>((resolve) => busy.close(() => resolve()));
});

describe('bad-inputs corpus: each user mistake is exit 2 with where, what and the fix', () => {
  test('the corpus has at least 40 cases across scenarios, project configs, workers files and flags', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const kinds = new Set(
      cases.map((c) => (c.cwd ? 'config' : c.at?.startsWith('workers/') ? 'workers' : c.at ? 'scenario' : 'flag')),
    );
    expect([...kinds].sort()).toEqual(['config', 'flag', 'scenario', 'workers']);
  });

  test.concurrent.each(cases)('$name', async (c) => {
    const fill = (s: string) => s.replaceAll('{busyPort}', busyPort);
    const ran = await llmbench(c.args.map(fill), join(corpus, c.cwd ?? '.'));
    const output = `${ran.stdout}${ran.stderr}`;
    expect(ran.code, output).toBe(c.exit);
    expect(output).not.toContain('INTERNAL');
    expect(output).not.toContain('a bug in llmbench');
    expect(output).not.toMatch(/^\s+at .+[:(].*\d+:\d+\)?$/m);
    if (c.at !== undefined) expect(ran.stderr).toContain(c.at);
    if (c.at !== undefined && c.field !== undefined)
      expect(ran.stderr).toMatch(new RegExp(`${escapeRegExp(c.at)}\\d*  ${escapeRegExp(c.field)}: `));
    expect(ran.stderr).toContain(fill(c.message));
    if (c.fix !== undefined) expect(ran.stderr).toMatch(new RegExp(`fix: [^\n]*${escapeRegExp(fill(c.fix))}`));
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
