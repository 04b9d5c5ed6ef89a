import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunResults } from '@llmbench/plugin-api';
import { bin, present, reportAbsent, run, startLlama, stop, type Server } from './llama.js';

/**
 * Synthetic workloads against llama.cpp's own server: prompts built with the server's tokenizer
 * arrive with the lengths asked for (as the server counts them in usage.prompt_tokens), ignore_eos
 * holds output lengths exactly, and one seed sends the same requests run after run and whatever
 * the thread count.
 */
reportAbsent('workload integration tests');

interface RawLine {
  experiment: string;
  index: number;
  outcome: string;
  prompt_hash: string;
  max_tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
}

const scenario = (url: string): string => `servers:
  - { id: llama, url: "${url}", backend: { use: llamacpp, options: { ignore_eos: true } } }
  - { id: plain, url: "${url}", backend: { use: openai, options: { extra_body: { ignore_eos: true } } } }
seed: 21
workload:
  requests: 48
  timeout_ms: 30000
  system_prompt: "You are a benchmark."
experiments:
  - name: fixed
    strategy: { use: semaphore, options: { concurrency: 8 } }
    servers: [llama]
    workload: { synthetic: { input_tokens: 300, output_tokens: 16, prefix_tokens: 100 }, sampling: shuffle }
  - name: spread
    strategy: { use: semaphore, options: { concurrency: 8 } }
    servers: [llama]
    workload: { synthetic: { input_tokens: { uniform: { min: 40, max: 400 } }, output_tokens: { list: [4, 12, 20] } }, sampling: with_replacement }
  - name: openai-extra-body
    strategy: { use: semaphore, options: { concurrency: 4 } }
    servers: [plain]
    workload: { requests: 16, synthetic: { input_tokens: 128, output_tokens: 24 } }
`;

describe.skipIf(!present)("synthetic workloads against llama.cpp's own server", () => {
  let work: string;
  let server: Server;
  const raws: RawLine[][] = [];
  const results: RunResults[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'llmbench-workloads-'));
    server = await startLlama(work);
    const file = join(work, 'synthetic.yaml');
    await writeFile(file, scenario(server.url));
    for (const threads of ['1', '2']) {
      const out = join(work, `out-${threads}`);
      const rawPath = join(work, `raw-${threads}.jsonl`);
      const cli = await run(process.execPath, [bin, 'run', file, '--out', out, '--threads', threads, '--raw', rawPath]);
      expect(cli.code, cli.stderr).toBe(0);
      raws.push(
        (await readFile(rawPath, 'utf8'))
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as RawLine),
      );
      const json = (await readdir(out)).find((f) => f.endsWith('.json'))!;
      results.push(JSON.parse(await readFile(join(out, json), 'utf8')) as RunResults);
    }
  }, 240_000);

  afterAll(() => stop(server));

  test('fixed input lengths arrive within 1 token of the request, as the server counts them', () => {
    const fixed = raws[0]!.filter((r) => r.experiment === 'fixed');
    expect(fixed).toHaveLength(48);
    for (const r of fixed) expect(Math.abs(r.input_tokens! - 300), `request ${r.index}`).toBeLessThanOrEqual(1);
    const lengths = results[0]!.experiments.find((e) => e.name === 'fixed')!.summary.input_lengths!;
    expect(lengths.requested).toEqual({ avg: 300, p50: 300, p99: 300 });
    expect(lengths.tokenizer).toBe('server');
    expect(Math.abs(lengths.actual!.p50 - 300)).toBeLessThanOrEqual(1);
    expect(Math.abs(lengths.actual!.p99 - 300)).toBeLessThanOrEqual(1);
  });

  test('drawn input lengths: each request within 1 token of its own requested length on average', () => {
    const e = results[0]!.experiments.find((x) => x.name === 'spread')!.summary.input_lengths!;
    expect(Math.abs(e.actual!.avg - e.requested!.avg)).toBeLessThanOrEqual(1);
    expect(e.requested!.p99).toBeGreaterThan(e.requested!.p50);
  });

  test('with ignore_eos every request generates exactly its max_tokens (llamacpp option, and openai extra_body)', () => {
    const ok = raws[0]!.filter((r) => r.outcome === 'ok');
    expect(ok).toHaveLength(48 + 48 + 16);
    for (const r of ok) expect(r.output_tokens, `${r.experiment} request ${r.index}`).toBe(r.max_tokens);
    expect(new Set(ok.filter((r) => r.experiment === 'spread').map((r) => r.max_tokens))).toEqual(new Set([4, 12, 20]));
    const plain = results[0]!.experiments.find((x) => x.name === 'openai-extra-body')!.summary;
    expect(plain.output_lengths!.actual).toEqual({ avg: 24, p50: 24, p99: 24 });
  });

  test('one seed sends the same request bodies for every index, with 1 thread and with 2', () => {
    const key = (rs: RawLine[]) => rs.map((r) => `${r.experiment}#${r.index} ${r.prompt_hash} ${r.max_tokens}`).sort();
    expect(key(raws[1]!)).toEqual(key(raws[0]!));
    expect(new Set(raws[0]!.filter((r) => r.experiment === 'fixed').map((r) => r.prompt_hash)).size).toBe(48);
  });
});
