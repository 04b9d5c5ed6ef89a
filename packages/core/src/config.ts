import { dirname } from 'node:path';
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
import { ErrorCodes, LlmbenchError, type ConfigIssue } from '@llmbench/plugin-api';
import { ProjectConfigSchema, type ProjectConfig } from './scenario/schema.js';
import { parseSource, type PathSegment, type SourceFile } from './scenario/source.js';
import { toConfigIssues, urlIssues } from './scenario/issues.js';
import { salvage } from './scenario/salvage.js';
import { expandEnv } from './scenario/env.js';

export const CONFIG_SEARCH_PLACES = [
  'package.json',
  '.llmbenchrc',
  '.llmbenchrc.json',
  '.llmbenchrc.yaml',
  '.llmbenchrc.yml',
  '.llmbenchrc.js',
  '.llmbenchrc.mjs',
  '.llmbenchrc.cjs',
  '.llmbenchrc.ts',
  'llmbench.config.json',
  'llmbench.config.yaml',
  'llmbench.config.yml',
  'llmbench.config.js',
  'llmbench.config.mjs',
  'llmbench.config.cjs',
  'llmbench.config.ts',
] as const;

export interface LoadedConfig {
  readonly file: string;
  readonly dir: string;
  readonly config: ProjectConfig;
  /** Where the config's values are, for locating issues (undefined for JS/TS configs). */
  readonly source: SourceFile | undefined;
  /** Path of the config object inside `source` (`['llmbench']` for package.json). */
  readonly base: readonly PathSegment[];
  readonly secrets: ReadonlySet<string>;
  readonly issues: readonly ConfigIssue[];
  readonly unsetPaths: ReadonlySet<string>;
}

/**
 * Finds the project config from `startDir` up to the project root (the nearest package.json),
 * validates it and expands `${env:...}`. Validation problems are returned as issues, not thrown,
 * so they are reported together with the scenario's.
 */
export async function loadProjectConfig(
  startDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedConfig | undefined> {
  const sources = new Map<string, SourceFile>();
  const positional: Loader = (filepath, content) => {
    const source = parseSource(filepath, content, { what: 'project config', allowEmpty: true });
    sources.set(filepath, source);
    return source.value;
  };
  // A config module that throws is the user's code failing: say which file, not "a bug in llmbench".
  const named =
    (load: Loader): Loader =>
    async (filepath, content) => {
      try {
        return await load(filepath, content);
      } catch (error) {
        throw new LlmbenchError(
          ErrorCodes.CONFIG_INVALID,
          `${filepath}: loading the project config failed: ${firstLine(error)}`,
          {
            cause: error,
            hint: 'fix the error in this file (run with --debug for its stack trace), or remove the file',
          },
        );
      }
    };
  const explorer = cosmiconfig('llmbench', {
    searchPlaces: [...CONFIG_SEARCH_PLACES],
    searchStrategy: 'project',
    loaders: {
      ...defaultLoaders,
      '.js': named(defaultLoaders['.js']),
      '.mjs': named(defaultLoaders['.mjs']),
      '.cjs': named(defaultLoaders['.cjs']),
      '.ts': named(defaultLoaders['.ts']),
      '.json': positional,
      '.yaml': positional,
      '.yml': positional,
      noExt: positional,
    },
  });
  let found: Awaited<ReturnType<typeof explorer.search>>;
  try {
    found = await explorer.search(startDir);
  } catch (error) {
    if (error instanceof LlmbenchError) throw error;
    throw new LlmbenchError(ErrorCodes.CONFIG_INVALID, `cannot load project config: ${firstLine(error)}`, {
      cause: error,
      hint: 'fix the project config file (llmbench.config.*, .llmbenchrc*, package.json#llmbench)',
    });
  }
  if (!found || found.isEmpty) return undefined;

  const file = found.filepath;
  const base: PathSegment[] = file.endsWith('package.json') ? ['llmbench'] : [];
  const source = sources.get(file);
  let raw: unknown = found.config;
  let secrets: ReadonlySet<string> = new Set();
  let unsetPaths: ReadonlySet<string> = new Set();
  const issues: ConfigIssue[] = [];
  if (source) {
    const expanded = expandEnv(source, env);
    raw = base.reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], expanded.value);
    secrets = expanded.secrets;
    unsetPaths = expanded.unsetPaths;
    issues.push(...expanded.issues);
  }
  const parsed = ProjectConfigSchema.safeParse(raw);
  const fallbackSource: SourceFile = source ?? { file, value: raw, locate: () => undefined, has: () => false };
  if (!parsed.success) {
    issues.push(...toConfigIssues(parsed.error.issues, { source: fallbackSource, schema: ProjectConfigSchema, data: raw, base }));
  }
  urlIssues(ProjectConfigSchema, parsed.success ? parsed.data : salvage(ProjectConfigSchema, raw), (p, message, hint) => {
    const pos = fallbackSource.locate([...base, ...p]);
    issues.push({ file, ...(pos ? { line: pos.line, column: pos.column } : {}), path: [...base, ...p].join('.'), message, hint });
  });
  return {
    file,
    dir: dirname(file),
    config: parsed.success ? parsed.data : salvage(ProjectConfigSchema, raw),
    source: fallbackSource,
    base,
    secrets,
    issues,
    unsetPaths,
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
