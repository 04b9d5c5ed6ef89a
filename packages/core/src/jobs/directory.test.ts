import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isLlmbenchError } from '@llmbench/plugin-api';
import { loadScenario } from '../scenario/load.js';
import { FIXTURE_BUILTINS, project, yaml } from '../__fixtures__/scenarios.js';
import { INDEX_FILE, readIndex } from './answers.js';
import { listDocuments } from './documents.js';
import { planDirectoryJob } from './job.js';
import { RESEARCH_PRESET } from './presets.js';

const line = (document: string, prompt: string, file: string, bytes: number) =>
  JSON.stringify({ document, prompt, file, server: 's', input_tokens: 1, output_tokens: 1, latency_ms: 1, finished_at: '2026-01-01T00:00:00.000Z', bytes });

describe('directory jobs', () => {
  test('lists text and Markdown documents in path order, counts PDFs and others, leaves out hidden files and the out folder', async () => {
    const dir = await project({ 'docs/b.md': 'b', 'docs/a.txt': 'a', 'docs/a.md': 'a', 'docs/sub/c.md': 'c', 'docs/x.pdf': '%PDF', 'docs/y.csv': '1', 'docs/.z.md': 'z', 'docs/out/old.md': 'o' });
    const list = await listDocuments(join(dir, 'docs'), join(dir, 'docs/out'));
    expect(list).toEqual({ documents: ['a.md', 'a.txt', 'b.md', 'sub/c.md'], folders: ['a.md', 'a.txt', 'b', 'sub/c'], pdfs: 1, others: 1 });
  });

  test('an index with a cut-short line, a repeated task and a missing or wrongly sized answer is rewritten to the answers that are whole', async () => {
    const dir = await project({ 'out/a/summary.md': 'four', 'out/a/methods.md': 'xx', 'out/b/summary.md': 'ok' });
    const good = [line('a.md', 'summary', 'a/summary.md', 4), line('b.md', 'summary', 'b/summary.md', 2)];
    await writeFile(join(dir, 'out', INDEX_FILE), [
      good[0], line('a.md', 'methods', 'a/methods.md', 5), line('a.md', 'summary', 'a/summary.md', 4), line('c.md', 'summary', 'c/summary.md', 1), good[1], good[1]!.slice(0, 30),
    ].join('\n'));
    const state = await readIndex(join(dir, 'out'));
    expect([...state.done].map((k) => k.replace('\u0000', '|')).sort()).toEqual(['a.md|summary', 'b.md|summary']);
    expect(state.dropped).toBe(4);
    expect(await readFile(join(dir, 'out', INDEX_FILE), 'utf8')).toBe(`${good.join('\n')}\n`);
  });

  test('a plan skips the tasks already saved and numbers the rest document by document', async () => {
    const dir = await project({ 'docs/a.md': 'a', 'docs/b.md': 'b', 'out/a/summary.md': 'ok' });
    await writeFile(join(dir, 'out', INDEX_FILE), `${line('a.md', 'summary', 'a/summary.md', 2)}\n`);
    const plan = await planDirectoryJob({ input: join(dir, 'docs'), out: join(dir, 'out'), preset: 'research', prompts: RESEARCH_PRESET });
    expect({ tasks: plan.tasks, done: plan.done, pending: [...plan.job.pending] }).toEqual({ tasks: 10, done: 1, pending: [1, 2, 3, 4, 5, 6, 7, 8, 9] });
  });

  test('a scenario directory workload with a missing folder and an unknown preset reports both', async () => {
    const dir = await project({
      'scenario.yaml': yaml`
        backend: fake
        workload:
          directory: { input: nowhere, preset: reserch, out: answers }
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 2 } }
        `,
    });
    const error = await loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env: {} }).then(() => undefined, (e: unknown) => e);
    if (!isLlmbenchError(error)) throw new Error('expected the scenario to be rejected');
    expect(error.issues.map((i) => `${basename(i.file)}:${i.line} ${i.path}: ${i.message.replaceAll(dir, '<dir>')}`)).toEqual([
      'scenario.yaml:3 workload.directory.input: <dir>/nowhere is not a folder',
      'scenario.yaml:3 workload.directory.preset: no preset named "reserch" in the built-in presets (no project config found)',
    ]);
  });

  test('a preset of the project config is found by name', async () => {
    const dir = await project({
      'llmbench.config.yaml': 'presets:\n  review: ["Accept?", { id: questions, prompt: "Three questions." }]\n',
      'docs/a.md': 'a',
      'scenario.yaml': yaml`
        backend: fake
        workload:
          directory: { input: docs, preset: review, out: answers }
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 2 } }
        `,
    });
    await mkdir(join(dir, 'answers'), { recursive: true });
    const scenario = await loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env: {} });
    expect(scenario.experiments[0]!.workload.directorySpec?.prompts).toEqual([{ id: 'prompt-1', prompt: 'Accept?' }, { id: 'questions', prompt: 'Three questions.' }]);
  });
});
