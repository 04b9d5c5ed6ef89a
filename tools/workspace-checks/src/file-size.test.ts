import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

/**
 * A source file over 400 lines says why near its top ("Over 400 lines on purpose: …"), so that a
 * long file is a decision someone wrote down and not an accident. Generated files are exempt.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const LIMIT = 400;
const SOURCE = /\.(ts|mts|js|mjs|cjs)$/;
const GENERATED = /\.d\.ts$/;
const REASON = /Over 400 lines on purpose: \S/;

/** Tracked source files with their line counts, or undefined outside a git checkout. */
function sources(): { path: string; lines: string[] }[] | undefined {
  if (spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: root }).status !== 0) return undefined;
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((path) => SOURCE.test(path) && !GENERATED.test(path))
    .map((path) => ({ path, lines: readFileSync(join(root, path), 'utf8').split('\n') }));
}

const files = sources();

describe.skipIf(files === undefined)('long files', () => {
  test(`every source file over ${LIMIT} lines states why in its first five lines`, () => {
    const unexplained = files!
      .filter((f) => f.lines.length - 1 > LIMIT && !REASON.test(f.lines.slice(0, 5).join('\n')))
      .map((f) => `${f.path} (${f.lines.length - 1} lines)`);
    expect(unexplained).toEqual([]);
  });
});
