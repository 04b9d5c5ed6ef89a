import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ErrorCodes, LlmbenchError, PLUGIN_KINDS, type PluginKind } from '@llmbench/plugin-api';
import type { CommandContext } from '../context.js';
import { displayPath } from '../render.js';
import { pluginFiles, pluginPackageName } from '../scaffold/plugin.js';

/** `llmbench new-plugin`: a plugin package outside the llmbench workspace, ready to test and build. */
export function registerNewPlugin(program: Command, { io }: CommandContext): void {
  program
    .command('new-plugin')
    .description('write a new plugin package (outside the llmbench repository; inside it, use "nx g @llmbench/tools:plugin")')
    .addOption(new Option('--kind <kind>', 'what the plugin is').choices(PLUGIN_KINDS).makeOptionMandatory())
    .requiredOption('--name <name>', 'the name scenarios use: lowercase letters, digits and "-"')
    .option('--dir <dir>', 'folder to create; must not exist or be empty (default: ./<package name without its scope>)')
    .option(
      '--package-name <name>',
      'npm package name (default: llmbench-<kind>-<name>; @llmbench/<kind>-<name> lets scenarios use the short name)',
    )
    .option('--description <text>', 'one line for package.json and the README')
    .addHelpText(
      'after',
      `
Writes package.json (run-time dependencies: @llmbench/plugin-api and zod; a backend also undici),
tsconfig.json, tsconfig.spec.json, .gitignore, README.md, src/index.ts (a working skeleton) and
src/index.test.ts (vitest; a backend's starts "llmbench mock-server" and runs the contract kit).
Then, in the folder: npm install && npm test && npm run build.
A scenario uses the plugin by path (./<dir>/dist/index.js) or, once installed, by package name;
a package named @llmbench/<kind>-<name> also by its short name.
`,
    )
    .action(async (opts: { kind: PluginKind; name: string; dir?: string; packageName?: string; description?: string }) => {
      const files = pluginFiles({
        kind: opts.kind,
        name: opts.name,
        mode: 'external',
        ...(opts.packageName === undefined ? {} : { packageName: opts.packageName }),
        ...(opts.description === undefined ? {} : { description: opts.description }),
      });
      const pkg = pluginPackageName({
        kind: opts.kind,
        name: opts.name,
        mode: 'external',
        ...(opts.packageName === undefined ? {} : { packageName: opts.packageName }),
      });
      const dir = resolve(io.cwd, opts.dir ?? pkg.replace(/^@[^/]+\//, ''));
      await ensureEmpty(dir);
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), text, { flag: 'wx' });
        io.stdout.write(`wrote ${displayPath(join(dir, path), io.cwd)}\n`);
      }
      io.stdout.write(
        `\n${opts.kind} plugin ${pkg} is in ${displayPath(dir, io.cwd)}. Next:\n  cd ${displayPath(dir, io.cwd)}\n  npm install && npm test && npm run build\n`,
      );
    });
}

async function ensureEmpty(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new LlmbenchError(ErrorCodes.USAGE, `folder ${dir} cannot be used: ${(error as Error).message}`, { cause: error });
  }
  if (entries.length > 0) {
    throw new LlmbenchError(ErrorCodes.USAGE, `folder ${dir} already exists and is not empty`, {
      hint: 'choose another folder with --dir, or remove that one',
    });
  }
}
