import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isLlmbenchError } from '@llmbench/plugin-api';
import { loadScenario, type LoadedScenario } from '../scenario/load.js';

const here = import.meta.dirname;

/** Test built-ins: the fixture plugins under their short names. */
export const FIXTURE_BUILTINS: Record<string, string> = {
  'backend:fake': pathToFileURL(join(here, 'plugins/backend-fake.ts')).href,
  'strategy:fixed': pathToFileURL(join(here, 'plugins/strategy-fixed.ts')).href,
  'reporter:memory': pathToFileURL(join(here, 'plugins/reporter-memory.ts')).href,
};

/** Writes files (path -> text) into a fresh temp project (with a package.json) and returns its dir. */
export async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-test-'));
  await writeFile(join(dir, 'package.json'), '{"name":"fixture","private":true}\n');
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/** Strips leading indentation shared by all lines, so YAML can be written inline in tests. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings }, ...values).replace(/^\n/, '');
  const indent = Math.min(
    ...text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => l.match(/^ */)![0].length),
  );
  return text
    .split('\n')
    .map((l) => l.slice(indent))
    .join('\n');
}

/** A scenario on the fake backend, one fixed-concurrency experiment, with `workload` (inline YAML). */
export const workloadScenario = (workload: string): string => yaml`
  backend: fake
  workload: ${workload}
  experiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]
  `;

/** Loads `scenario.yaml` of a fresh project of `files`, with the fixture built-ins. */
export async function loadProject(files: Record<string, string>): Promise<LoadedScenario> {
  const dir = await project(files);
  return loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env: {} });
}

/** The issues that reject `scenario.yaml` of a project of `files`, each as "file:line path: message". */
export async function projectIssues(files: Record<string, string>): Promise<string[]> {
  try {
    await loadProject(files);
  } catch (error) {
    if (!isLlmbenchError(error)) throw error;
    return error.issues.map((i) => `${basename(i.file)}:${i.line ?? '-'} ${i.path}: ${i.message}`);
  }
  throw new Error('expected the scenario to be rejected');
}
