#!/usr/bin/env node
// Packs every published workspace package (packages/*, plugins/*; not the private tools/*) with
// `npm pack` into one folder: `node tools/install-test/pack.mjs DEST [--json]`. Run it after a build.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const [dest, flag] = process.argv.slice(2);
if (!dest || (flag !== undefined && flag !== '--json')) {
  process.stderr.write('usage: node tools/install-test/pack.mjs DEST [--json]\n');
  process.exit(2);
}
const out = resolve(dest);
mkdirSync(out, { recursive: true });
for (const file of readdirSync(out)) if (file.endsWith('.tgz')) rmSync(join(out, file));
const npm = process.env.npm_execpath ?? 'npm';
const args = ['pack', '--workspace', 'packages', '--workspace', 'plugins', '--pack-destination', out, '--json', '--silent'];
const json = npm.endsWith('.js')
  ? execFileSync(process.execPath, [npm, ...args], { cwd: root, encoding: 'utf8' })
  : execFileSync(npm, args, { cwd: root, encoding: 'utf8' });
if (flag === '--json') process.stdout.write(json);
else for (const { filename } of JSON.parse(json)) process.stdout.write(`${join(dest, filename)}\n`);
