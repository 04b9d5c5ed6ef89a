import { copyFile, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, test } from 'vitest';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import { PLUGIN_KINDS, type RunResults } from '@llmbench/plugin-api';
import { type Ran, runNode, withoutTestRunner } from '@llmbench/test-support';
import { DEPENDENCY_RANGES, pluginFiles, type ScaffoldMode } from './scaffold/plugin.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/llmbench.js');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const vitest = join(root, 'node_modules/vitest/vitest.mjs');

/** Runs `node <args>` in `cwd`, without the vitest variables of this test's own process. */
function node(args: string[], cwd: string): Promise<Ran> {
  return runNode(args, { cwd, env: { ...withoutTestRunner(), NO_COLOR: '1' }, timeoutMs: 60_000 });
}

const llmbench = (args: string[], cwd: string): Promise<Ran> => node([bin, ...args], cwd);

async function link(target: string, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await symlink(target, path, 'dir');
}

describe('llmbench new-plugin', () => {
  test('llmbench --help lists it', async () => {
    const ran = await llmbench(['--help'], root);
    expect(ran.stdout).toMatch(/\n {2}new-plugin \[options\] +write a new plugin package/);
  });

  test('a name that is not lowercase letters, digits and "-" is a usage error (exit 2), and nothing is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-np-'));
    const ran = await llmbench(['new-plugin', '--kind', 'backend', '--name', 'My_Server'], dir);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toBe(
      'error [USAGE]: --name "My_Server" is not a plugin name: use lowercase letters, digits and "-", starting with a letter\n  fix: e.g. --name my-server\n',
    );
    expect(await node(['-e', 'process.stdout.write(String(require("fs").readdirSync(".").length))'], dir)).toMatchObject({
      stdout: '0',
    });
  });

  test('an unknown kind, and a folder that is not empty, are usage errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-np-'));
    const kind = await llmbench(['new-plugin', '--kind', 'sampler', '--name', 'x'], dir);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain("argument 'sampler' is invalid. Allowed choices are backend, strategy, reporter, collector.");
    await mkdir(join(dir, 'taken'));
    await writeFile(join(dir, 'taken/notes.txt'), 'mine\n');
    const taken = await llmbench(['new-plugin', '--kind', 'strategy', '--name', 'steps', '--dir', 'taken'], dir);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toBe(
      'error [USAGE]: folder taken already exists and is not empty\n  fix: choose another folder with --dir, or remove that one\n',
    );
    expect(await readFile(join(dir, 'taken/notes.txt'), 'utf8')).toBe('mine\n');
  });

  describe('an external backend plugin, end to end', () => {
    let base: string;
    let plugin: string;
    let scaffolded: Ran;

    /** Scaffolds it outside the workspace, links what npm install would, and builds it with the workspace's tsc. */
    beforeAll(async () => {
      base = await mkdtemp(join(tmpdir(), 'llmbench-np-e2e-'));
      scaffolded = await llmbench(
        ['new-plugin', '--kind', 'backend', '--name', 'acme', '--package-name', '@acme/llmbench-backend', '--dir', 'plugin'],
        base,
      );
      plugin = join(base, 'plugin');
      const modules = join(plugin, 'node_modules');
      await link(join(root, 'packages/plugin-api'), join(modules, '@llmbench/plugin-api'));
      await link(join(root, 'packages/cli'), join(modules, 'llmbench'));
      for (const dep of ['zod', 'undici', 'vitest', 'typescript', '@types/node'])
        await link(join(root, 'node_modules', dep), join(modules, dep));
      // One compile that also typechecks the tests: the generated tsconfig.json with the tests included.
      await writeFile(join(plugin, 'tsconfig.all.json'), JSON.stringify({ extends: './tsconfig.json', exclude: [] }));
      const built = await node([tsc, '-p', 'tsconfig.all.json'], plugin);
      expect(built.stdout + built.stderr).toBe('');
    }, 60_000);

    test('new-plugin lists what it wrote and how to go on', () => {
      expect(scaffolded.code).toBe(0);
      expect(scaffolded.stdout).toBe(
        [
          'wrote plugin/package.json',
          'wrote plugin/tsconfig.json',
          'wrote plugin/tsconfig.spec.json',
          'wrote plugin/.gitignore',
          'wrote plugin/README.md',
          'wrote plugin/src/index.ts',
          'wrote plugin/src/index.test.ts',
          '',
          'backend plugin @acme/llmbench-backend is in plugin. Next:',
          '  cd plugin',
          '  npm install && npm test && npm run build',
          '',
        ].join('\n'),
      );
    });

    test('its generated tests pass (npm test): the contract kit against llmbench mock-server', async () => {
      const pkg = JSON.parse(await readFile(join(plugin, 'package.json'), 'utf8')) as { scripts: { test: string } };
      expect(pkg.scripts.test).toBe('vitest run --dir src');
      const ran = await node([vitest, ...pkg.scripts.test.split(' ').slice(1), '--reporter', 'verbose'], plugin);
      expect(ran.code, ran.stdout + ran.stderr).toBe(0);
      expect(ran.stdout).toContain('✓ src/index.test.ts > the backend passes the contract kit against llmbench mock-server');
      expect(ran.stdout).toMatch(/Tests +2 passed \(2\)/);
    }, 60_000);

    test('llmbench run drives it by path and, installed, by package name', async () => {
      const app = join(base, 'app');
      await link(plugin, join(app, 'node_modules/@acme/llmbench-backend'));
      const servers: MockHttpServer[] = [
        await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 1 } } }),
        await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 1 } } }),
      ];
      try {
        const [a, b] = servers as [MockHttpServer, MockHttpServer];
        await writeFile(
          join(app, 'scenario.yaml'),
          `name: acme
servers:
  - { id: by-path, url: "${a.url}", backend: ../plugin/dist/index.js }
  - { id: by-name, url: "${b.url}", backend: "@acme/llmbench-backend", model: mock-model }
workload: { requests: 30, stream: true }
experiments:
  - { name: path, servers: [by-path], strategy: { use: semaphore, options: { concurrency: 4 } } }
  - { name: package, servers: [by-name], strategy: { use: semaphore, options: { concurrency: 4 } } }
reporters: [{ use: json, options: { output: "out/{scenario}.json" } }]
`,
        );
        const ran = await llmbench(['run', 'scenario.yaml', '--threads', '1'], app);
        expect(ran.stderr).toBe('');
        expect(ran.code).toBe(0);
        const results = JSON.parse(await readFile(join(app, 'out/acme.json'), 'utf8')) as RunResults;
        expect(
          results.experiments.map((e) => [
            e.name,
            e.summary.requests,
            e.summary.successes,
            e.summary.servers.map((s) => [s.id, s.requests]),
          ]),
        ).toEqual([
          ['path', 30, 30, [['by-path', 30]]],
          ['package', 30, 30, [['by-name', 30]]],
        ]);
        expect(results.experiments.every((e) => e.summary.ttft_ms !== null)).toBe(true);
        expect([a.stats().responses_ok, b.stats().responses_ok]).toEqual([30, 30]);
      } finally {
        await Promise.all(servers.map((s) => s.close()));
      }
    }, 60_000);
  });
});

describe('the plugin scaffold', () => {
  test('its dependency ranges are the ones the workspace builds with', async () => {
    const read = async (path: string) =>
      JSON.parse(await readFile(join(root, path), 'utf8')) as {
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
    const [workspace, openai, cli] = await Promise.all([
      read('package.json'),
      read('plugins/backend-openai/package.json'),
      read('packages/cli/package.json'),
    ]);
    expect(DEPENDENCY_RANGES).toEqual({
      zod: cli.dependencies!.zod,
      undici: openai.dependencies!.undici,
      typescript: workspace.devDependencies!.typescript,
      vitest: workspace.devDependencies!.vitest,
      typesNode: workspace.devDependencies!['@types/node'],
    });
  });

  test.each(PLUGIN_KINDS)('a %s plugin depends at run time on plugin-api and zod only (a backend also on undici)', (kind) => {
    for (const mode of ['workspace', 'external'] as const) {
      const pkg = JSON.parse(pluginFiles({ kind, name: 'x', mode })['package.json']!) as { dependencies: Record<string, string> };
      expect(Object.keys(pkg.dependencies).sort()).toEqual(
        kind === 'backend' ? ['@llmbench/plugin-api', 'undici', 'zod'] : ['@llmbench/plugin-api', 'zod'],
      );
    }
  });

  test('package names: @llmbench/<kind>-<name> in the workspace; llmbench-<kind>-<name> or the one given outside it', () => {
    const name = (mode: ScaffoldMode, packageName?: string) =>
      (
        JSON.parse(
          pluginFiles({ kind: 'collector', name: 'gpu-mem', mode, ...(packageName ? { packageName } : {}) })['package.json']!,
        ) as { name: string }
      ).name;
    expect(name('workspace')).toBe('@llmbench/collector-gpu-mem');
    expect(name('external')).toBe('llmbench-collector-gpu-mem');
    expect(name('external', '@me/gpu')).toBe('@me/gpu');
    expect(() => pluginFiles({ kind: 'collector', name: 'gpu', mode: 'external', packageName: 'Not A Name' })).toThrow(
      expect.objectContaining({ code: 'USAGE', message: '--package-name "Not A Name" is not an npm package name' }),
    );
    expect(() => pluginFiles({ kind: 'collector', name: 'gpu', mode: 'workspace', packageName: 'x' })).toThrow(
      expect.objectContaining({ code: 'USAGE' }),
    );
  });

  test.each(['', '1gpu', 'gpu--mem', 'gpu-', 'GPU', 'gpu_mem', 'gpu.mem'])('"%s" is not a plugin name', (bad) => {
    expect(() => pluginFiles({ kind: 'backend', name: bad, mode: 'workspace' })).toThrow(
      expect.objectContaining({ code: 'USAGE', message: expect.stringContaining(`--name "${bad}" is not a plugin name`) }),
    );
  });

  /**
   * Every kind, in both modes, as written: each package's own tsconfig.spec.json (sources and tests)
   * in a temp dir whose node_modules is the workspace's, with the workspace's tsconfig.base.json.
   */
  test('the generated sources and tests typecheck, every kind in both modes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-np-tc-'));
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await copyFile(join(root, 'tsconfig.base.json'), join(dir, 'tsconfig.base.json'));
    const configs: string[] = [];
    for (const kind of PLUGIN_KINDS) {
      for (const [mode, folder] of [
        ['workspace', `plugins/${kind}-probe`],
        ['external', `outside/${kind}-probe`],
      ] as const) {
        for (const [path, text] of Object.entries(pluginFiles({ kind, name: 'probe', mode }))) {
          await mkdir(dirname(join(dir, folder, path)), { recursive: true });
          await writeFile(join(dir, folder, path), text);
        }
        configs.push(join(dir, folder, 'tsconfig.spec.json'));
      }
    }
    const problems: string[] = [];
    // The four packages of a mode share their compiler options: one program per mode, not per package.
    const programs = new Map<string, { options: ts.CompilerOptions; files: string[] }>();
    for (const config of configs) {
      const parsed = ts.getParsedCommandLineOfConfigFile(
        config,
        {},
        {
          ...ts.sys,
          onUnRecoverableConfigFileDiagnostic: (d) => problems.push(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
        },
      );
      if (!parsed) continue;
      problems.push(...parsed.errors.map((d) => `${config}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`));
      expect(parsed.fileNames.map((f) => f.slice(dirname(config).length + 1)).sort()).toEqual([
        'src/index.test.ts',
        'src/index.ts',
      ]);
      // Paths of the package's own (rootDir, outDir) only matter for emitting, and these do not emit.
      const { configFilePath: _config, rootDir: _rootDir, outDir: _outDir, ...options } = parsed.options;
      const key = JSON.stringify(options);
      const group = programs.get(key) ?? { options, files: [] as string[] };
      group.files.push(...parsed.fileNames);
      programs.set(key, group);
    }
    expect(programs.size).toBe(2);
    for (const { options, files } of programs.values()) {
      const program = ts.createProgram({ rootNames: files, options });
      for (const d of ts.getPreEmitDiagnostics(program)) {
        const where = d.file
          ? `${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
          : '';
        problems.push(`${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      }
    }
    expect(configs).toHaveLength(8);
    expect(problems).toEqual([]);
  }, 60_000);
});
