import { readFileSync } from 'node:fs';
import { readJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { beforeEach, describe, expect, test } from 'vitest';
import { pluginGenerator } from './generator.js';

interface PackageJson {
  name: string;
  description: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
  nx: { tags: string[] };
}

const schema = JSON.parse(readFileSync(new URL('./schema.json', import.meta.url), 'utf8')) as {
  properties: { kind: { enum: string[] } };
  required: string[];
};

describe('nx g @llmbench/tools:plugin', () => {
  let tree: Tree;

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  test('writes plugins/<kind>-<name> as a package of this workspace, and asks for npm install', async () => {
    const install = await pluginGenerator(tree, { kind: 'backend', name: 'tgi', description: 'Hugging Face TGI' });
    expect(tree.children('plugins/backend-tgi').sort()).toEqual([
      'README.md',
      'package.json',
      'src',
      'tsconfig.json',
      'tsconfig.spec.json',
    ]);
    expect(tree.children('plugins/backend-tgi/src').sort()).toEqual(['index.test.ts', 'index.ts']);
    expect(typeof install).toBe('function');
  });

  test('package.json: @llmbench/<kind>-<name>, plugin-api and zod at run time, the scope:plugin tag, its own vitest project', async () => {
    await pluginGenerator(tree, { kind: 'strategy', name: 'ramp-up', skipInstall: true });
    const pkg = readJson<PackageJson>(tree, 'plugins/strategy-ramp-up/package.json');
    expect(pkg.name).toBe('@llmbench/strategy-ramp-up');
    expect(pkg.description).toBe('A sweep over concurrency levels');
    expect(Object.keys(pkg.dependencies)).toEqual(['@llmbench/plugin-api', 'zod']);
    expect(pkg.devDependencies).toBeUndefined();
    expect(pkg.nx.tags).toEqual(['scope:plugin']);
    expect(pkg.scripts.test).toBe('vitest run --root ../.. --project strategy-ramp-up --passWithNoTests');
  });

  test('a backend also depends on undici, and tests against @llmbench/backend-mock', async () => {
    await pluginGenerator(tree, { kind: 'backend', name: 'tgi', skipInstall: true });
    const pkg = readJson<PackageJson>(tree, 'plugins/backend-tgi/package.json');
    expect(Object.keys(pkg.dependencies)).toEqual(['@llmbench/plugin-api', 'undici', 'zod']);
    expect(Object.keys(pkg.devDependencies ?? {})).toEqual(['@llmbench/backend-mock']);
    const test = tree.read('plugins/backend-tgi/src/index.test.ts', 'utf8');
    expect(test).toContain("import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';");
    expect(test).toContain('runBackendContract(');
  });

  test('tsconfigs extend the workspace base as every plugin in plugins/ does', async () => {
    await pluginGenerator(tree, { kind: 'collector', name: 'gpu', skipInstall: true });
    for (const file of ['tsconfig.json', 'tsconfig.spec.json']) {
      expect(readJson<{ extends: string }>(tree, `plugins/collector-gpu/${file}`).extends).toBe('../../tsconfig.base.json');
    }
  });

  test.each(['backend', 'strategy', 'reporter', 'collector'] as const)(
    'the %s skeleton default-exports its define* helper under the given name',
    async (kind) => {
      await pluginGenerator(tree, { kind, name: 'demo', skipInstall: true });
      const source = tree.read(`plugins/${kind}-demo/src/index.ts`, 'utf8')!;
      const helper = `define${kind[0]!.toUpperCase()}${kind.slice(1)}`;
      expect(source).toContain(`export default ${helper}({\n  name: 'demo',`);
      expect(source).toContain('options: OptionsSchema,');
      expect(source).toContain('z.strictObject({');
    },
  );

  test.each(['Demo', 'my_plugin', '-x', 'x-', '9lives', ''])(
    '"%s" is refused as a name with a USAGE error, and nothing is written',
    async (name) => {
      await expect(pluginGenerator(tree, { kind: 'reporter', name })).rejects.toMatchObject({
        code: 'USAGE',
        message: `--name "${name}" is not a plugin name: use lowercase letters, digits and "-", starting with a letter`,
      });
      expect(tree.listChanges().filter((c) => c.path.startsWith('plugins/'))).toEqual([]);
    },
  );

  test('an existing plugin folder is not overwritten', async () => {
    tree.write('plugins/reporter-csv/src/index.ts', 'mine\n');
    await expect(pluginGenerator(tree, { kind: 'reporter', name: 'csv' })).rejects.toMatchObject({
      code: 'USAGE',
      message: 'plugins/reporter-csv already exists',
    });
    expect(tree.read('plugins/reporter-csv/src/index.ts', 'utf8')).toBe('mine\n');
  });

  test('schema.json offers the four kinds and requires kind and name', () => {
    expect(schema.properties.kind.enum).toEqual(['backend', 'strategy', 'reporter', 'collector']);
    expect(schema.required).toEqual(['kind', 'name']);
  });
});
