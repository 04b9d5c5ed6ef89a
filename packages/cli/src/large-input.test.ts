import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { type Ran, runNode } from '@llmbench/test-support';

/**
 * A 50 MB scenario of unknown keys, through the built binary as a user runs it: answered with exit 2,
 * the first issues at their lines and the rest counted. The timeout is generous on purpose (a shared
 * machine); the figures on an idle one are in docs/scenarios.md.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/llmbench.js');

function validate(file: string, cwd: string): Promise<Ran> {
  return runNode([bin, 'validate', file], { cwd, timeoutMs: 60_000 });
}

test('a 50 MB JSON scenario with an experiment of 1.9 million unknown keys: exit 2, 50 listed at their lines, the rest counted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-large-'));
  const keys = Array.from({ length: 1_900_000 }, (_, i) => `    "unknown_key_${i}": 1`);
  const text = `{\n  "backend": "mock",\n  "experiments": [{\n    "name": "a",\n    "strategy": "semaphore",\n${keys.join(',\n')}\n  }]\n}\n`;
  expect(text.length).toBeGreaterThan(50e6);
  await writeFile(join(dir, 'big.json'), text);
  const ran = await validate('big.json', dir);
  expect(ran.code, ran.stderr.slice(0, 2000)).toBe(2);
  const lines = ran.stderr.split('\n');
  expect(lines[0]).toBe('error [CONFIG_INVALID]: big.json: 1900001 problems found (the first 50 are listed)');
  expect(lines[1]).toMatch(
    /^ {2}big\.json:3:19 {2}experiments\.0: 1900000 unknown fields \(the first 50 are listed\) \(expected one of name, description, strategy, /,
  );
  expect(lines[3]).toMatch(/^ {2}big\.json:6:5 {2}experiments\.0\.unknown_key_0: unknown field "unknown_key_0"/);
  expect(ran.stderr).toContain('big.json:54:5  experiments.0.unknown_key_48: unknown field "unknown_key_48"');
  expect(ran.stderr).not.toContain('unknown_key_49"');
  expect(lines.filter((l) => /^ {2}big\.json:\d+:\d+ /.test(l))).toHaveLength(50);
  expect(ran.stderr).toContain('fix: 1899951 more not listed; fix these and validate again');
}, 60_000);

test('a 50 MB YAML scenario is refused by its size at once, with JSON offered', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-large-'));
  const line = 'unknown_key: 1\n';
  await writeFile(join(dir, 'big.yaml'), line.repeat(Math.ceil(50e6 / line.length)));
  const ran = await validate('big.yaml', dir);
  expect(ran.code).toBe(2);
  expect(ran.stderr).toBe(
    'error [CONFIG_INVALID]: big.yaml is 47.7 MiB; a YAML scenario may be at most 4.0 MiB\n' +
      '  fix: check that this is the right file; put long prompt lists in a prompts_file (.txt or .jsonl), or write it as JSON (.json), which may be up to 128.0 MiB\n',
  );
}, 60_000);
