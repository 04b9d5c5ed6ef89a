import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { findKnowledge, loadPlugins, schemaWords, sources, vocabulary, type Finding } from './knowledge.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const vocab = await vocabulary(
  await loadPlugins(root),
  schemaWords(['scenario', 'config', 'results'].map((s) => join(root, 'schemas', `${s}.schema.json`))),
);

/**
 * core/src/seed/ is the one place core names plugins: the seed's commands (`benchmark` runs the
 * scaling strategy and writes benchmark-json; `process` runs a semaphore) and the reports a
 * scenario without `reporters` gets are seed compatibility, kept out of the engine and runner.
 */
const CORE_SEED = join('packages', 'core', 'src', 'seed') + sep;

/**
 * The CLI's commands that are a shipped plugin's own command, by file, and the names each may use:
 * `mock-server` serves backend-mock's server, `report` and `compare` render results with the
 * console and Markdown reporters (byte-identical to what a run wrote). Any other plugin name or
 * option in the CLI fails. cli/src/scaffold/ is left out: it writes a new plugin's code, which runs
 * its tests against the mock and shows real options as examples.
 */
const CLI_SHIPPED: Readonly<Record<string, readonly string[]>> = {
  'packages/cli/src/commands/mock-server.ts': ['@llmbench/backend-mock'],
  'packages/cli/src/report.ts': ['@llmbench/reporter-console', '@llmbench/reporter-markdown', 'console', 'markdown'],
  'packages/cli/src/commands/compare.ts': ['console'],
};
const shipped = (f: Finding): boolean => CLI_SHIPPED[f.file.split(sep).join('/')]?.includes(f.text) ?? false;

function scan(dir: string, base = root, skip?: (path: string) => boolean): Finding[] {
  return sources(dir, skip).flatMap((file) => findKnowledge(relative(base, file), readFileSync(file, 'utf8'), vocab));
}

const shown = (findings: readonly Finding[]) => findings.map((f) => `${f.file}:${f.line} "${f.text}" (${f.owner})`);

describe('core knows no plugin: no string or property in its source is a plugin name, option or reading', () => {
  test('core outside its seed-compatibility folder', () => {
    expect(shown(scan(join(root, 'packages/core/src')).filter((f) => !f.file.startsWith(CORE_SEED)))).toEqual([]);
  });

  test("the CLI, but for the commands that are a shipped plugin's own", () => {
    const findings = scan(join(root, 'packages/cli/src'), root, (p) => p.includes(`${sep}scaffold${sep}`));
    expect(shown(findings.filter((f) => !shipped(f)))).toEqual([]);
  });
});

describe('the check', () => {
  const copy = mkdtempSync(join(tmpdir(), 'llmbench-knowledge-'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  test('fails on a plugin name, an option and a reading planted in a copy of core', () => {
    cpSync(join(root, 'packages/core/src'), join(copy, 'src'), { recursive: true });
    rmSync(join(copy, 'src/seed'), { recursive: true });
    writeFileSync(
      join(copy, 'src/runner/planted.ts'),
      [
        "export const backend = { use: 'vllm' };",
        'export const hits = (r: Record<string, number>) => r.prefix_cache_hits;',
        'export const params = (n: number) => ({ batch_size: n });',
        '',
      ].join('\n'),
    );
    expect(shown(scan(join(copy, 'src'), copy))).toEqual([
      'src/runner/planted.ts:1 "vllm" (backend plugin vllm)',
      'src/runner/planted.ts:2 "prefix_cache_hits" (reading of backend plugin vllm)',
      'src/runner/planted.ts:3 "batch_size" (param of strategy plugin batch)',
    ]);
  });

  test('finds packages, aliases and snake_case options inside longer strings', () => {
    const text = [
      "const a = 'install @llmbench/backend-vllm first';",
      'const b = `type ${t} is lm_studio`;',
      "const c = { hint: 'set concurrency_levels' };",
    ].join('\n');
    expect(shown(findKnowledge('x.ts', text, vocab))).toEqual([
      'x.ts:1 "@llmbench/backend-vllm" (backend plugin vllm)',
      'x.ts:2 "lm_studio" (backend plugin lmstudio)',
      'x.ts:3 "concurrency_levels" (option of strategy plugin scaling)',
    ]);
  });

  test('passes comments, English words in sentences, one-word properties and words core owns', () => {
    const text = [
      '// the vllm backend reads prefix_cache_hits',
      "const a = 'the success rate of the json file';",
      'const b = stat.size + options.source.length;',
      "const c = { rate: 1, concurrency: 2, saturation_reason: 'latency' };",
    ].join('\n');
    expect(shown(findKnowledge('x.ts', text, vocab))).toEqual([]);
  });
});
