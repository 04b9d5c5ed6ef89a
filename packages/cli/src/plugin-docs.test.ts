import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { main } from './index.js';

interface PluginInfo {
  kind: string;
  name: string;
  options: Record<string, { default?: unknown }>;
}

const docs = readFileSync(new URL('../../../docs/scenarios.md', import.meta.url), 'utf8').split('\n');

/** Option -> Default cell of the tables in the "### `<name>` <kind>" section of docs/scenarios.md. */
function documentedOptions(kind: string, name: string): Map<string, string> {
  const start = docs.indexOf(`### \`${name}\` ${kind}`);
  const out = new Map<string, string>();
  if (start < 0) return out;
  let column = -1;
  for (let i = start + 1; i < docs.length && !docs[i]!.startsWith('### '); i++) {
    const line = docs[i]!;
    if (!line.startsWith('|')) {
      column = -1;
      continue;
    }
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (column < 0) column = cells.indexOf('Default');
    else if (column > 0 && /^`[a-z_]+`$/.test(cells[0]!) && !out.has(cells[0]!)) out.set(cells[0]!.slice(1, -1), cells[column]!);
  }
  return out;
}

/** How the docs write a default: numbers bare, strings and booleans in backticks, number lists as [a, b]. */
function asDocumented(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string' || typeof value === 'boolean') return `\`${value}\``;
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return `\`[${value.join(', ')}]\``;
  return undefined;
}

test("docs/scenarios.md's option tables quote the built-in plugins' schema defaults", async () => {
  const out: string[] = [];
  const code = await main(['plugins', '--json'], {
    stdout: { write: (t) => out.push(t), isTTY: false },
    stderr: { write() {}, isTTY: false },
    cwd: process.cwd(),
    env: {},
  });
  const json = out.join('');
  expect(code).toBe(0);
  const checked: string[] = [];
  const wrong: string[] = [];
  for (const plugin of JSON.parse(json) as PluginInfo[]) {
    const documented = documentedOptions(plugin.kind, plugin.name);
    for (const [option, info] of Object.entries(plugin.options)) {
      const expected = asDocumented(info.default);
      const cell = documented.get(option);
      if (expected === undefined || cell === undefined) continue;
      checked.push(`${plugin.name}.${option}`);
      if (cell !== expected)
        wrong.push(`${plugin.kind} ${plugin.name}: ${option} is documented as ${cell}, its schema default is ${expected}`);
    }
  }
  expect(wrong).toEqual([]);
  // The tables were found: a reworded heading must not make this test pass by checking nothing.
  expect(checked.length).toBeGreaterThan(30);
});
