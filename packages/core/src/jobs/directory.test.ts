import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isLlmbenchError } from '@llmbench/plugin-api';
import { loadScenario } from '../scenario/load.js';
import { FIXTURE_BUILTINS, project, yaml } from '../__fixtures__/scenarios.js';
import { INDEX_FILE, readIndex } from './answers.js';
import { listDocuments } from './documents.js';
import { directoryRequests, planDirectoryJob } from './job.js';
import { RESEARCH_PRESET } from './presets.js';

const line = (document: string, prompt: string, file: string, bytes: number) =>
  JSON.stringify({
    document,
    prompt,
    file,
    server: 's',
    input_tokens: 1,
    output_tokens: 1,
    latency_ms: 1,
    finished_at: '2026-01-01T00:00:00.000Z',
    bytes,
  });

describe('directory jobs', () => {
  test('lists text, Markdown and PDF documents in path order, counts PDFs and others, leaves out hidden files and the out folder', async () => {
    const dir = await project({
      'docs/b.md': 'b',
      'docs/a.txt': 'a',
      'docs/a.md': 'a',
      'docs/sub/c.md': 'c',
      'docs/x.pdf': '%PDF',
      'docs/y.csv': '1',
      'docs/.z.md': 'z',
      'docs/out/old.md': 'o',
    });
    const list = await listDocuments(join(dir, 'docs'), join(dir, 'docs/out'));
    expect(list).toEqual({
      documents: ['a.md', 'a.txt', 'b.md', 'sub/c.md', 'x.pdf'],
      folders: ['a.md', 'a.txt', 'b', 'sub/c', 'x'],
      pdfs: 1,
      others: 1,
    });
  });

  test('a PDF is asked through its extracted text, extracted once; one with no text is skipped by name', async () => {
    const dir = await project({ 'docs/a.md': 'a', 'docs/scan.pdf': '%PDF-1.4\n' });
    await writeFile(join(dir, 'docs/paper.pdf'), tinyPdf(['Hello from a PDF', 'Second line']));
    const plan = await planDirectoryJob({
      input: join(dir, 'docs'),
      out: join(dir, 'out'),
      preset: 'research',
      prompts: RESEARCH_PRESET,
    });
    expect(plan.job.documents).toEqual(['a.md', 'paper.pdf']);
    expect({ pdfs: plan.pdfs, unreadable: plan.unreadablePdfs }).toEqual({ pdfs: 1, unreadable: ['scan.pdf'] });
    const request = directoryRequests({
      requests: 1,
      warmup: 0,
      prompts: ['x'],
      stream: false,
      timeoutMs: 1000,
      directory: plan.job,
    });
    const text = request(RESEARCH_PRESET.length).messages.at(-1)!.content;
    expect(text).toContain('Document: paper.pdf\n\nHello from a PDF\nSecond line\n\n---');
    // A second plan reads the text already extracted, not the PDF (now unreadable).
    await writeFile(join(dir, 'docs/paper.pdf'), '%PDF-1.4\n');
    const again = await planDirectoryJob({
      input: join(dir, 'docs'),
      out: join(dir, 'out'),
      preset: 'research',
      prompts: RESEARCH_PRESET,
    });
    expect(again.job.documents).toEqual(['a.md', 'paper.pdf']);
  });

  test('an index with a cut-short line, a repeated task and a missing or wrongly sized answer is rewritten to the answers that are whole', async () => {
    const dir = await project({ 'out/a/summary.md': 'four', 'out/a/methods.md': 'xx', 'out/b/summary.md': 'ok' });
    const good = [line('a.md', 'summary', 'a/summary.md', 4), line('b.md', 'summary', 'b/summary.md', 2)];
    await writeFile(
      join(dir, 'out', INDEX_FILE),
      [
        good[0],
        line('a.md', 'methods', 'a/methods.md', 5),
        line('a.md', 'summary', 'a/summary.md', 4),
        line('c.md', 'summary', 'c/summary.md', 1),
        good[1],
        good[1]!.slice(0, 30),
      ].join('\n'),
    );
    const state = await readIndex(join(dir, 'out'));
    expect([...state.done].map((k) => k.replace('\u0000', '|')).sort()).toEqual(['a.md|summary', 'b.md|summary']);
    expect(state.dropped).toBe(4);
    expect(await readFile(join(dir, 'out', INDEX_FILE), 'utf8')).toBe(`${good.join('\n')}\n`);
  });

  test('a plan skips the tasks already saved and numbers the rest document by document', async () => {
    const dir = await project({ 'docs/a.md': 'a', 'docs/b.md': 'b', 'out/a/summary.md': 'ok' });
    await writeFile(join(dir, 'out', INDEX_FILE), `${line('a.md', 'summary', 'a/summary.md', 2)}\n`);
    const plan = await planDirectoryJob({
      input: join(dir, 'docs'),
      out: join(dir, 'out'),
      preset: 'research',
      prompts: RESEARCH_PRESET,
    });
    expect({ tasks: plan.tasks, done: plan.done, pending: [...plan.job.pending] }).toEqual({
      tasks: 10,
      done: 1,
      pending: [1, 2, 3, 4, 5, 6, 7, 8, 9],
    });
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
    const error = await loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
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
    expect(scenario.experiments[0]!.workload.directorySpec?.prompts).toEqual([
      { id: 'prompt-1', prompt: 'Accept?' },
      { id: 'questions', prompt: 'Three questions.' },
    ]);
  });
});

/** A one-page PDF (Helvetica, one text line per entry), written by hand: xref offsets and all. */
function tinyPdf(lines: readonly string[]): Buffer {
  const text = lines.map((l, i) => `${i === 0 ? '20 100 Td' : '0 -30 Td'} (${l}) Tj`).join(' ');
  const stream = `BT /F1 18 Tf ${text} ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
