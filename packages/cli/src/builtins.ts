import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** The plugins that ship with llmbench: `"<kind>:<name>"` -> package. */
export const BUILTIN_PACKAGES: Readonly<Record<string, string>> = {
  'backend:mock': '@llmbench/backend-mock',
  'strategy:semaphore': '@llmbench/strategy-semaphore',
  'strategy:batch': '@llmbench/strategy-batch',
  'reporter:console': '@llmbench/reporter-console',
  'reporter:json': '@llmbench/reporter-json',
};

/** Built-in plugins as module URLs, resolved from this package (so they load in worker threads too). */
export function builtinPlugins(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(BUILTIN_PACKAGES).map(([key, pkg]) => [key, pathToFileURL(require.resolve(pkg)).href]),
  );
}
