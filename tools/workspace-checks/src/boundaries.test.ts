import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

/**
 * The dependency rules of the architecture, by Nx scope tag: plugins import the plugin API (and may
 * build on another plugin, as backend-vllm extends backend-openai), never core, so any plugin can run
 * in a worker thread with nothing but plugin code; core knows no concrete plugin; only the CLI (and
 * tools) wire concrete plugins in. Test support (scope:test) depends on no workspace package and is
 * only ever a devDependency: what the CLI's and the tools' tests share.
 */
const ALLOWED: Record<string, readonly string[]> = {
  'scope:api': [],
  'scope:plugin': ['scope:api', 'scope:plugin'],
  'scope:core': ['scope:api'],
  'scope:cli': ['scope:api', 'scope:core', 'scope:plugin', 'scope:test'],
  'scope:tools': ['scope:api', 'scope:core', 'scope:plugin', 'scope:cli', 'scope:test'],
  'scope:test': [],
};

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Workspace {
  dir: string;
  name: string;
  tag: string;
  deps: string[];
  /** Those of `deps` in `dependencies` or `peerDependencies`: what an install of the package brings. */
  runtimeDeps: string[];
}

function workspaces(): Workspace[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const dirs = pkg.workspaces.flatMap((pattern) =>
    pattern.endsWith('/*') ? readdirSync(join(root, pattern.slice(0, -2))).map((d) => join(pattern.slice(0, -2), d)) : [pattern],
  );
  return dirs
    .filter((dir) => statSync(join(root, dir)).isDirectory())
    .map((dir) => {
      const json = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
        name: string;
        nx?: { tags?: string[] };
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>;
      };
      const scopes = (json.nx?.tags ?? []).filter((t) => t.startsWith('scope:'));
      return {
        dir,
        name: json.name,
        tag: scopes.length === 1 ? scopes[0]! : `(${scopes.length} scope tags)`,
        deps: Object.keys({ ...json.dependencies, ...json.devDependencies, ...json.peerDependencies }),
        runtimeDeps: Object.keys({ ...json.dependencies, ...json.peerDependencies }),
      };
    });
}

function sourceImports(dir: string): string[] {
  const found = new Set<string>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(path);
      } else if (/\.(m?ts|m?js)$/.test(entry.name)) {
        for (const m of readFileSync(path, 'utf8').matchAll(
          /(?:from|import)\s*\(?\s*['"]((?:@llmbench\/[a-z-]+)|llmbench)(?:\/[^'"]*)?['"]/g,
        )) {
          found.add(m[1]!);
        }
      }
    }
  };
  walk(join(root, dir, 'src'));
  return [...found];
}

const all = workspaces();
const byName = new Map(all.map((w) => [w.name, w]));

describe('workspace boundaries', () => {
  test('every workspace package has exactly one known scope tag', () => {
    expect(all.filter((w) => !(w.tag in ALLOWED)).map((w) => `${w.dir}: ${w.tag}`)).toEqual([]);
  });

  test.each(all.map((w) => [w.dir, w] as const))('%s depends only on what its scope allows', (_dir, w) => {
    const bad = w.deps
      .filter((d) => byName.has(d))
      .filter((d) => !ALLOWED[w.tag]!.includes(byName.get(d)!.tag))
      .map((d) => `${w.name} (${w.tag}) -> ${d} (${byName.get(d)!.tag})`);
    expect(bad).toEqual([]);
  });

  test.each(all.map((w) => [w.dir, w] as const))('%s has test support only as a devDependency', (_dir, w) => {
    expect(w.runtimeDeps.filter((d) => byName.get(d)?.tag === 'scope:test')).toEqual([]);
  });

  test.each(all.filter((w) => w.tag !== 'scope:tools').map((w) => [w.dir, w] as const))(
    '%s imports only workspace packages it declares',
    (_dir, w) => {
      const undeclared = sourceImports(w.dir).filter((name) => name !== w.name && !w.deps.includes(name));
      expect(undeclared).toEqual([]);
    },
  );
});
