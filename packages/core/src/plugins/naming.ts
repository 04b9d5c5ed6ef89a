import { PLUGIN_KINDS, type PluginKind } from '@llmbench/plugin-api';

/**
 * The package a plugin's short name stands for, `@llmbench/<kind>-<name>`, as the resolver tries it;
 * undefined for a name that cannot be one (a path, a scoped or upper-case specifier).
 */
export function conventionalPackage(kind: PluginKind, ref: string): string | undefined {
  return SHORT_NAME.test(ref) ? pluginPackage(kind, ref) : undefined;
}

/** The package a plugin of `kind` called `name` is published as: `@llmbench/<kind>-<name>`. */
export function pluginPackage(kind: PluginKind, name: string): string {
  return `@llmbench/${kind}-${name}`;
}

/** The kind and short name of a package named by `pluginPackage`; undefined for any other package. */
export function pluginOfPackage(pkg: string): { kind: PluginKind; name: string } | undefined {
  for (const kind of PLUGIN_KINDS) {
    const prefix = pluginPackage(kind, '');
    if (pkg.startsWith(prefix) && SHORT_NAME.test(pkg.slice(prefix.length))) return { kind, name: pkg.slice(prefix.length) };
  }
  return undefined;
}

const SHORT_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** Whether a scenario's plugin reference `ref` names the plugin `name`: by its short name or its package. */
export function refersTo(kind: PluginKind, ref: unknown, name: string): boolean {
  return typeof ref === 'string' && (ref === name || ref === conventionalPackage(kind, name));
}

/**
 * The options a scenario definition (as a results file stores it) gave its first plugin reference
 * named `name` in `refs` (say, its `reporters`): `{}` when it gave none or does not use the plugin.
 */
export function optionsOfPlugin(kind: PluginKind, refs: unknown, name: string): Record<string, unknown> {
  if (!Array.isArray(refs)) return {};
  for (const r of refs) {
    if (refersTo(kind, r, name)) return {};
    if (typeof r === 'object' && r !== null && refersTo(kind, (r as { use?: unknown }).use, name)) {
      return (r as { options?: Record<string, unknown> }).options ?? {};
    }
  }
  return {};
}
