import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { RunResultsSchema, type ReporterContext, type RunResults } from '@llmbench/plugin-api';
import json from './index.js';

/** The results of a real quickstart run (kept with the Markdown reporter's fixtures). */
async function quickstart(): Promise<RunResults> {
  const text = await readFile(new URL('../../reporter-markdown/src/__fixtures__/quickstart.json', import.meta.url), 'utf8');
  return RunResultsSchema.parse(JSON.parse(text));
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmbench-reporter-json-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A reporter context whose resolveOutput expands the template as core does, relative to `dir`. */
function context(written: string[]): ReporterContext {
  return {
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    clock: { now: () => 0 },
    scenarioDir: dir,
    seed: 1,
    out: { write() {}, isTTY: false },
    resolveOutput: (template) => {
      const expanded = template.replaceAll('{scenario}', 'quickstart').replaceAll('{timestamp}', '20261202-004500');
      return isAbsolute(expanded) ? expanded : resolve(dir, expanded);
    },
    fileWritten: (path) => void written.push(path),
  };
}

async function report(options: Record<string, unknown>, results: RunResults, written: string[] = []): Promise<void> {
  const reporter = await json.create(context(written), json.options.parse(options));
  await reporter.onRunEnd?.(results);
}

describe('results file', () => {
  test('is written where resolveOutput says (default template), announced, and parses with the results schema', async () => {
    const results = await quickstart();
    const written: string[] = [];
    await report({}, results, written);
    const path = join(dir, 'results', 'quickstart-20261202-004500.json');
    expect(written).toEqual([path]);
    const parsed = RunResultsSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    expect(parsed.error?.issues).toBeUndefined();
    expect(parsed.data).toEqual(results);
  });

  test('indent 2 by default, one line with indent 0; a newline at the end either way', async () => {
    const results = await quickstart();
    await report({ output: 'pretty.json' }, results);
    await report({ output: 'compact.json', indent: 0 }, results);
    const pretty = await readFile(join(dir, 'pretty.json'), 'utf8');
    const compact = await readFile(join(dir, 'compact.json'), 'utf8');
    expect(pretty.split('\n')[1]).toMatch(/^ {2}"/);
    expect(compact.split('\n')).toHaveLength(2);
    expect([pretty.at(-1), compact.at(-1)]).toEqual(['\n', '\n']);
    expect(JSON.parse(compact)).toEqual(JSON.parse(pretty));
  });
});

describe('atomic write', () => {
  test('replaces an existing file by a rename: a reader of the old file keeps it whole, no temporary file is left', async () => {
    const old = 'x'.repeat(1_000_000);
    await writeFile(join(dir, 'out.json'), old);
    // A second name for the old file stands for a reader that has it open.
    await link(join(dir, 'out.json'), join(dir, 'reader'));
    const results = await quickstart();
    await report({ output: 'out.json', indent: 0 }, results);
    expect((await readdir(dir)).sort()).toEqual(['out.json', 'reader']);
    expect(await readFile(join(dir, 'reader'), 'utf8')).toBe(old);
    expect((await stat(join(dir, 'out.json'))).ino).not.toBe((await stat(join(dir, 'reader'))).ino);
    expect(JSON.parse(await readFile(join(dir, 'out.json'), 'utf8'))).toEqual(results);
  });

  test('a write that cannot complete rejects and leaves what was there, without debris', async () => {
    // The target is a directory: the temporary file is written, the rename into place fails.
    await mkdir(join(dir, 'taken.json'));
    await writeFile(join(dir, 'taken.json', 'keep'), 'kept');
    await expect(report({ output: 'taken.json' }, await quickstart())).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['taken.json']);
    expect(await readFile(join(dir, 'taken.json', 'keep'), 'utf8')).toBe('kept');
  });

  test('missing directories on the way are created', async () => {
    await report({ output: 'a/b/c/{scenario}.json' }, await quickstart());
    expect(await readdir(join(dir, 'a', 'b', 'c'))).toEqual(['quickstart.json']);
  });
});

describe('options', () => {
  test('an empty output path and an indent beyond 8 are rejected', () => {
    expect(json.options.safeParse({ output: '', indent: 9 }).error?.issues.map((i) => i.path)).toEqual([['output'], ['indent']]);
  });
});
