import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve as esmResolve } from 'import-meta-resolve';
import {
  ErrorCodes,
  LlmbenchError,
  isPlugin,
  type BackendPlugin,
  type CollectorPlugin,
  type PluginKind,
  type ReporterPlugin,
  type StrategyPlugin,
} from '@llmbench/plugin-api';
import { conventionalPackage, pluginPackage } from './naming.js';

export interface PluginByKind {
  backend: BackendPlugin;
  strategy: StrategyPlugin;
  reporter: ReporterPlugin;
  collector: CollectorPlugin;
}

export interface ResolvedPlugin<K extends PluginKind = PluginKind> {
  readonly kind: K;
  /** The name as the scenario wrote it. */
  readonly ref: string;
  readonly plugin: PluginByKind[K];
  /** The module URL it was loaded from (worker threads load the same URL). */
  readonly moduleUrl: string;
}

export interface ResolveOptions {
  /** Built-in plugins: `"<kind>:<name>"` -> module URL. */
  readonly builtins: Readonly<Record<string, string>>;
  /** Project-config aliases: `"<kind>:<name>"` -> specifier or path (relative to `aliasDir`). */
  readonly aliases?: Readonly<Record<string, string>>;
  readonly aliasDir?: string;
  /** Where packages and relative paths are resolved from (the scenario's directory). */
  readonly baseDir: string;
}

interface Attempt {
  readonly specifier: string;
  readonly reason: string;
}

/**
 * Resolves a plugin by the name a scenario uses, trying in order: project-config aliases (so a
 * project can replace a built-in), built-ins, `@llmbench/<kind>-<name>`, then the name itself as a path or package. A plugin that
 * cannot be found is an error listing every specifier tried and why each failed.
 */
export class PluginResolver {
  private readonly cache = new Map<string, Promise<ResolvedPlugin>>();

  constructor(private readonly options: ResolveOptions) {}

  resolve<K extends PluginKind>(kind: K, ref: string): Promise<ResolvedPlugin<K>> {
    const key = `${kind}:${ref}`;
    let hit = this.cache.get(key);
    if (!hit) {
      hit = this.load(kind, ref);
      this.cache.set(key, hit);
    }
    return hit as Promise<ResolvedPlugin<K>>;
  }

  /** Every name the resolver knows without searching, for `llmbench plugins` and hints. */
  knownNames(kind: PluginKind): string[] {
    const names = new Set<string>();
    for (const key of [...Object.keys(this.options.builtins), ...Object.keys(this.options.aliases ?? {})]) {
      const [k, n] = key.split(':');
      if (k === kind && n) names.add(n);
    }
    return [...names].sort();
  }

  /**
   * The known plugin (see `knownNames`) a name not written for llmbench means: the one of that name,
   * else the one declaring it among its `aliases` (a seed workers file's `"type": "lm_studio"`).
   * Undefined when none does. Only then are the known plugins loaded, to read their declarations.
   */
  async ownerOf(kind: PluginKind, name: string): Promise<string | undefined> {
    const known = this.knownNames(kind);
    if (known.includes(name)) return name;
    for (const candidate of known) {
      const { plugin } = await this.resolve(kind, candidate);
      if (plugin.aliases?.includes(name)) return candidate;
    }
    return undefined;
  }

  private async load<K extends PluginKind>(kind: K, ref: string): Promise<ResolvedPlugin<K>> {
    const attempts: Attempt[] = [];
    for (const candidate of this.candidates(kind, ref)) {
      const url = candidate.url ?? this.locate(candidate.specifier, candidate.from);
      if (url === undefined) {
        const isFile = candidate.specifier.startsWith('.') || isAbsolute(candidate.specifier);
        attempts.push({
          specifier: isFile ? resolvePath(candidate.from ?? this.options.baseDir, candidate.specifier) : candidate.specifier,
          reason: isFile ? 'no such file' : 'not installed',
        });
        continue;
      }
      let mod: { default?: unknown };
      try {
        mod = (await import(url)) as { default?: unknown };
      } catch (error) {
        throw new LlmbenchError(
          ErrorCodes.PLUGIN_INVALID,
          `${kind} plugin "${ref}" failed to load from ${url}: ${(error as Error).message}`,
          {
            cause: error,
            hint: 'fix the error in the plugin module (run it with node to see the full error)',
          },
        );
      }
      const plugin = mod.default;
      if (!isPlugin(plugin, kind)) {
        const got = isPlugin(plugin) ? `a ${plugin.kind} plugin` : 'no define* result as its default export';
        throw new LlmbenchError(ErrorCodes.PLUGIN_INVALID, `${url} has ${got}, but "${ref}" is used as a ${kind} plugin`, {
          hint: `default-export define${kind[0]!.toUpperCase()}${kind.slice(1)}({ name, options, create }) from @llmbench/plugin-api`,
        });
      }
      return { kind, ref, plugin: plugin as PluginByKind[K], moduleUrl: url };
    }
    const known = this.knownNames(kind);
    throw new LlmbenchError(
      ErrorCodes.PLUGIN_NOT_FOUND,
      `no ${kind} plugin "${ref}"; tried:\n${attempts.map((a) => `  - ${a.specifier} (${a.reason})`).join('\n')}`,
      {
        hint: known.length
          ? `use one of the known ${plural(kind)} (${known.join(', ')}), install ${pluginPackage(kind, ref)}, or give a path to a module`
          : `install ${pluginPackage(kind, ref)} or give a path to a module`,
      },
    );
  }

  private *candidates(kind: PluginKind, ref: string): Generator<{ specifier: string; url?: string; from?: string }> {
    const key = `${kind}:${ref}`;
    const alias = this.options.aliases?.[key];
    if (alias !== undefined) yield { specifier: alias, from: this.options.aliasDir ?? this.options.baseDir };
    const builtin = this.options.builtins[key];
    if (builtin !== undefined) yield { specifier: `built-in ${key}`, url: builtin };
    const isPath = ref.startsWith('.') || ref.startsWith('/') || isAbsolute(ref) || /\.[cm]?[jt]s$/.test(ref);
    const conventional = isPath ? undefined : conventionalPackage(kind, ref);
    if (conventional !== undefined) yield { specifier: conventional };
    yield { specifier: ref };
  }

  /** A module URL for `specifier`, or undefined when nothing is installed under that name. */
  private locate(specifier: string, from = this.options.baseDir): string | undefined {
    if (specifier.startsWith('.') || isAbsolute(specifier)) {
      const path = resolvePath(from, specifier);
      return existsSync(path) ? pathToFileURL(path).href : undefined;
    }
    for (const dir of [from, import.meta.dirname]) {
      // As `import` from that directory would (the "import" export of a package, ESM-only packages
      // included), then as `require` would, for packages that only say where their CommonJS is.
      // import-meta-resolve, like import.meta.resolve, answers a URL even when no file is there
      // (a folder, a path without its extension): only a file that exists counts.
      const parent = join(dir, 'noop.js');
      try {
        const url = esmResolve(specifier, pathToFileURL(parent).href);
        if (url.startsWith('file:') && statSync(fileURLToPath(url), { throwIfNoEntry: false })?.isFile()) return url;
      } catch (error) {
        if (!isNotFound(error)) throw unreadable(specifier, error);
      }
      try {
        return pathToFileURL(createRequire(parent).resolve(specifier)).href;
      } catch (error) {
        if (!isNotFound(error)) throw unreadable(specifier, error);
      }
    }
    return undefined;
  }
}

/** A package that is there but cannot be resolved (a broken package.json, say): the package's fault. */
function unreadable(specifier: string, error: unknown): LlmbenchError {
  return new LlmbenchError(ErrorCodes.PLUGIN_INVALID, `cannot resolve "${specifier}": ${(error as Error).message}`, {
    cause: error,
    hint: 'fix the package\'s package.json (its "exports" or "main")',
  });
}

export function plural(kind: PluginKind): string {
  return kind === 'strategy' ? 'strategies' : `${kind}s`;
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'MODULE_NOT_FOUND' ||
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' ||
    code === 'ERR_UNSUPPORTED_DIR_IMPORT'
  );
}
