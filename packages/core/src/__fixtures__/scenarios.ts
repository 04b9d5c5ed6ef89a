import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

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
