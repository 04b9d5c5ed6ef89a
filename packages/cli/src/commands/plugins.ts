import type { Command } from 'commander';
import { z } from 'zod';
import { PluginResolver } from '@llmbench/core';
import { PLUGIN_KINDS } from '@llmbench/plugin-api';
import { BUILTIN_PACKAGES, builtinPlugins } from '../builtins.js';
import type { CommandContext } from '../context.js';

interface PluginInfo {
  kind: string;
  name: string;
  package: string;
  description: string;
  options: Record<string, { type: string; default?: unknown; description?: string }>;
}

/** `llmbench plugins`: the built-in plugins, with each option's type, default and meaning from its schema. */
export function registerPlugins(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command('plugins')
    .description('list the built-in plugins and their options')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await listPlugins(io.cwd);
      io.stdout.write(opts.json ? `${JSON.stringify(list, null, 2)}\n` : renderPlugins(list));
    });
}

async function listPlugins(cwd: string): Promise<PluginInfo[]> {
  const resolver = new PluginResolver({ builtins: builtinPlugins(), baseDir: cwd });
  const out: PluginInfo[] = [];
  for (const [key, pkg] of Object.entries(BUILTIN_PACKAGES)) {
    const [kind, name] = key.split(':') as [(typeof PLUGIN_KINDS)[number], string];
    const { plugin } = await resolver.resolve(kind, name);
    const schema = z.toJSONSchema(plugin.options, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<
        string,
        { type?: string; default?: unknown; description?: string; anyOf?: unknown[]; oneOf?: unknown[] }
      >;
    };
    const options: PluginInfo['options'] = {};
    for (const [opt, prop] of Object.entries(schema.properties ?? {})) {
      options[opt] = {
        type: prop.type ?? (prop.oneOf || prop.anyOf ? 'object' : 'any'),
        ...(prop.default === undefined ? {} : { default: prop.default }),
        ...(prop.description === undefined ? {} : { description: prop.description }),
      };
    }
    out.push({ kind, name, package: pkg, description: plugin.description ?? '', options });
  }
  return out;
}

function renderPlugins(list: readonly PluginInfo[]): string {
  const lines: string[] = [];
  for (const kind of PLUGIN_KINDS) {
    const ofKind = list.filter((p) => p.kind === kind);
    if (ofKind.length === 0) continue;
    lines.push(`${kind === 'strategy' ? 'strategies' : `${kind}s`}:`);
    for (const p of ofKind) {
      lines.push(`  ${p.name.padEnd(12)} ${p.description} (${p.package})`);
      for (const [opt, info] of Object.entries(p.options)) {
        const def = info.default === undefined ? '' : ` = ${JSON.stringify(info.default)}`;
        lines.push(`    ${opt}: ${info.type}${def}${info.description ? `  ${info.description}` : ''}`);
      }
    }
  }
  lines.push('', 'Other plugins resolve as @llmbench/<kind>-<name>, or by package name or path.');
  return `${lines.join('\n')}\n`;
}
