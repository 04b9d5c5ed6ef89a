import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** The plugins that ship with llmbench: `"<kind>:<name>"` -> package. */
export const BUILTIN_PACKAGES: Readonly<Record<string, string>> = {
  'backend:llamacpp': '@llmbench/backend-llamacpp',
  'backend:lmstudio': '@llmbench/backend-lmstudio',
  'backend:mock': '@llmbench/backend-mock',
  'backend:openai': '@llmbench/backend-openai',
  'backend:vllm': '@llmbench/backend-vllm',
  'strategy:semaphore': '@llmbench/strategy-semaphore',
  'strategy:batch': '@llmbench/strategy-batch',
  'strategy:rate': '@llmbench/strategy-rate',
  'strategy:scaling': '@llmbench/strategy-scaling',
  'reporter:console': '@llmbench/reporter-console',
  'reporter:json': '@llmbench/reporter-json',
  'reporter:markdown': '@llmbench/reporter-markdown',
  'reporter:benchmark-json': '@llmbench/reporter-benchmark-json',
  'collector:gpu': '@llmbench/collector-gpu',
};

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
