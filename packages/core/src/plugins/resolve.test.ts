import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { PluginResolver } from './resolve.js';
import { FIXTURE_BUILTINS, project } from '../__fixtures__/scenarios.js';

const fixtures = join(import.meta.dirname, '../__fixtures__/plugins');

/** A minimal plugin module written as plain JS, as a third-party package would ship it. */
const jsPlugin = (kind: string, name: string) =>
  `export default { kind: '${kind}', name: '${name}', options: { safeParse: (v) => ({ success: true, data: v }) }, create: () => ({ points: () => [{ concurrency: 1 }] }) };\n`;

describe('plugin resolution', () => {
  test('a built-in short name resolves to its module', async () => {
    const resolver = new PluginResolver({ builtins: FIXTURE_BUILTINS, baseDir: fixtures });
    const r = await resolver.resolve('strategy', 'fixed');
    expect(r.plugin.name).toBe('fixed');
    expect(r.moduleUrl).toBe(FIXTURE_BUILTINS['strategy:fixed']);
  });

  test('a name one known plugin declares among its aliases is owned by that plugin; other names by none', async () => {
    const dir = await project({
      'other.mjs': jsPlugin('backend', 'other').replace("name: 'other'", "name: 'other', aliases: ['other_server']"),
    });
    const resolver = new PluginResolver({
      builtins: FIXTURE_BUILTINS,
      aliases: { 'backend:other': './other.mjs' },
      aliasDir: dir,
      baseDir: dir,
    });
    expect(await Promise.all(['fake', 'fake_server', 'other_server', 'nope'].map((n) => resolver.ownerOf('backend', n)))).toEqual(
      ['fake', 'fake', 'other', undefined],
    );
  });

  test('an unknown name fails with every specifier tried and the built-ins to choose from', async () => {
    const dir = await project({});
    const resolver = new PluginResolver({ builtins: FIXTURE_BUILTINS, baseDir: dir });
    await expect(resolver.resolve('strategy', 'ramp')).rejects.toMatchObject({
      code: 'PLUGIN_NOT_FOUND',
      message: 'no strategy plugin "ramp"; tried:\n  - @llmbench/strategy-ramp (not installed)\n  - ramp (not installed)',
      hint: 'use one of the known strategies (fixed), install @llmbench/strategy-ramp, or give a path to a module',
    });
  });

  test('a missing path names the absolute file it looked for', async () => {
    const dir = await project({});
    const resolver = new PluginResolver({ builtins: {}, baseDir: dir });
    await expect(resolver.resolve('backend', './plugins/acme.js')).rejects.toMatchObject({
      code: 'PLUGIN_NOT_FOUND',
      message: `no backend plugin "./plugins/acme.js"; tried:\n  - ${join(dir, 'plugins/acme.js')} (no such file)`,
    });
  });

  test("@llmbench/<kind>-<name> is found in the project's node_modules", async () => {
    const dir = await project({
      'node_modules/@llmbench/strategy-ramp/package.json': '{"name":"@llmbench/strategy-ramp","type":"module","main":"index.js"}',
      'node_modules/@llmbench/strategy-ramp/index.js': jsPlugin('strategy', 'ramp'),
    });
    const resolver = new PluginResolver({ builtins: {}, baseDir: dir });
    const r = await resolver.resolve('strategy', 'ramp');
    expect(r.plugin.name).toBe('ramp');
    expect(r.moduleUrl).toContain('node_modules/@llmbench/strategy-ramp/index.js');
  });

  test('an ESM-only package (an "import" export and no other) is found, as import would find it', async () => {
    const dir = await project({
      'node_modules/@llmbench/strategy-esm/package.json':
        '{"name":"@llmbench/strategy-esm","type":"module","exports":{".":{"import":"./dist/index.js"}}}',
      'node_modules/@llmbench/strategy-esm/dist/index.js': jsPlugin('strategy', 'esm'),
      'node_modules/dual-plugin/package.json':
        '{"name":"dual-plugin","exports":{".":{"import":"./esm.mjs","require":"./cjs.cjs"}}}',
      'node_modules/dual-plugin/esm.mjs': jsPlugin('strategy', 'dual-esm'),
      'node_modules/dual-plugin/cjs.cjs': 'module.exports = {};\n',
    });
    const resolver = new PluginResolver({ builtins: {}, baseDir: dir });
    expect((await resolver.resolve('strategy', 'esm')).moduleUrl).toContain('node_modules/@llmbench/strategy-esm/dist/index.js');
    // A package with both builds: the one `import` picks, since that is how it is loaded.
    expect((await resolver.resolve('strategy', 'dual-plugin')).plugin.name).toBe('dual-esm');
  });

  test('paths into a package without exports still resolve as require finds them (folders, no extension)', async () => {
    const dir = await project({
      'node_modules/my-plugins/package.json': '{"name":"my-plugins"}',
      'node_modules/my-plugins/strategy/index.js': jsPlugin('strategy', 'folder'),
      'node_modules/my-plugins/other.js': jsPlugin('strategy', 'other'),
      'node_modules/broken/package.json': '{"name":"broken",',
    });
    const resolver = new PluginResolver({ builtins: {}, baseDir: dir });
    expect((await resolver.resolve('strategy', 'my-plugins/strategy')).plugin.name).toBe('folder');
    expect((await resolver.resolve('strategy', 'my-plugins/other')).plugin.name).toBe('other');
    await expect(resolver.resolve('strategy', 'broken')).rejects.toMatchObject({
      code: 'PLUGIN_INVALID',
      message: expect.stringContaining('cannot resolve "broken"'),
    });
  });

  test('a project-config alias resolves relative to the config file', async () => {
    const dir = await project({ 'tools/my-strategy.js': jsPlugin('strategy', 'mine') });
    const resolver = new PluginResolver({
      builtins: {},
      aliases: { 'strategy:mine': './tools/my-strategy.js' },
      aliasDir: dir,
      baseDir: '/',
    });
    expect((await resolver.resolve('strategy', 'mine')).plugin.name).toBe('mine');
  });

  test('a plugin of the wrong kind is rejected with what it is', async () => {
    const resolver = new PluginResolver({ builtins: {}, baseDir: fixtures });
    await expect(resolver.resolve('backend', './strategy-fixed.ts')).rejects.toMatchObject({
      code: 'PLUGIN_INVALID',
      message: expect.stringMatching(
        /strategy-fixed\.ts has a strategy plugin, but "\.\/strategy-fixed\.ts" is used as a backend plugin$/,
      ),
    });
  });

  test('a module without a define* default export is rejected with how to fix it', async () => {
    const resolver = new PluginResolver({ builtins: {}, baseDir: fixtures });
    await expect(resolver.resolve('reporter', './not-a-plugin.ts')).rejects.toMatchObject({
      code: 'PLUGIN_INVALID',
      hint: 'default-export defineReporter({ name, options, create }) from @llmbench/plugin-api',
    });
  });

  test('a module that throws while loading reports its own error, not "not found"', async () => {
    const resolver = new PluginResolver({ builtins: {}, baseDir: fixtures });
    await expect(resolver.resolve('backend', './throws-on-import.ts')).rejects.toMatchObject({
      code: 'PLUGIN_INVALID',
      message: expect.stringContaining('boom at import'),
    });
  });
});
