import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pluginOfPackage } from '@llmbench/core';
import { PLUGIN_KINDS } from '@llmbench/plugin-api';

const require = createRequire(import.meta.url);

/**
 * The plugins that ship with llmbench, `"<kind>:<name>"` -> package: every `@llmbench/<kind>-<name>`
 * package this package depends on, found as the resolver finds an installed external plugin. A new
 * built-in is a dependency in package.json, nothing more.
 */
export const BUILTIN_PACKAGES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.keys(manifest().dependencies ?? {})
    .flatMap((pkg) => {
      const plugin = pluginOfPackage(pkg);
      return plugin ? [{ ...plugin, pkg }] : [];
    })
    .sort((a, b) => PLUGIN_KINDS.indexOf(a.kind) - PLUGIN_KINDS.indexOf(b.kind) || a.name.localeCompare(b.name))
    .map((p) => [`${p.kind}:${p.name}`, p.pkg]),
);

function manifest(): { dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
}

/**
 * Built-in plugins as module URLs of their built JavaScript entry (from each package's
 * `exports["."].default`), whatever resolution conditions the process runs with: worker threads
 * load these URLs, and they cannot load TypeScript sources.
 */
export function builtinPlugins(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(BUILTIN_PACKAGES).map(([key, pkg]) => {
      const manifest = require.resolve(`${pkg}/package.json`);
      const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: { '.': { default: string } } };
      return [key, pathToFileURL(join(dirname(manifest), exports['.'].default)).href];
    }),
  );
}
