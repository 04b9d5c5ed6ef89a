import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

/**
 * Commit subjects fit in 72 characters: the hook git runs (tools/workspace-checks/hooks) refuses a
 * longer one, and every commit since the rule began obeys it. Earlier history is left as it landed
 * (rewriting published commits would break every clone).
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const hook = join(root, 'tools/workspace-checks/hooks/commit-msg');
/** The last commit before the hook: every commit after it has a subject of at most 72 characters. */
const RULE_BEGINS = '31e8a92';

function runHook(message: string): { status: number | null; stderr: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'llmbench-commit-')), 'COMMIT_EDITMSG');
  writeFileSync(file, message);
  const ran = spawnSync(hook, [file], { encoding: 'utf8' });
  return { status: ran.status, stderr: ran.stderr };
}

describe('the commit-msg hook', () => {
  test('accepts a subject of 72 characters and counts characters, not bytes', () => {
    expect(runHook(`${'a'.repeat(72)}\n\nA body line may be as long as it likes ${'b'.repeat(100)}\n`).status).toBe(0);
    expect(runHook(`${'é'.repeat(72)}\n`).status).toBe(0);
  });

  test('refuses 73 characters, saying the length and where the message was kept', () => {
    const ran = runHook(`# a git comment line first\n${'a'.repeat(73)}\n`);
    expect(ran.status).toBe(1);
    expect(ran.stderr).toContain('the subject is 73 characters, at most 72');
    expect(ran.stderr).toContain('COMMIT_EDITMSG');
  });

  test('refuses an empty subject', () => {
    expect(runHook('\n\nbody\n').status).toBe(1);
  });
});

const history = spawnSync('git', ['cat-file', '-e', `${RULE_BEGINS}^{commit}`], { cwd: root });

describe.skipIf(history.status !== 0)('the history since the rule began', () => {
  test('has no subject over 72 characters', () => {
    const subjects = execFileSync('git', ['log', '--format=%h %s', `${RULE_BEGINS}..HEAD`], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    const long = subjects.filter((line) => [...line.slice(line.indexOf(' ') + 1)].length > 72);
    expect(long).toEqual([]);
  });
});
