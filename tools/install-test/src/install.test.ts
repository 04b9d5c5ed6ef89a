import { spawn, type ChildProcess } from 'node:child_process';
import { builtinModules } from 'node:module';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunResults } from '@llmbench/plugin-api';
import { type Ran, runProcess, withoutTestRunner } from '@llmbench/test-support';
import { BUILTIN_PACKAGES } from 'llmbench';

/**
 * llmbench as someone outside this repository gets it: every published package packed with
 * `npm pack` (pack.mjs, as `npm run pack:all` does), the tarballs installed into an empty folder
 * under os.tmpdir() with npm (third-party dependencies from the registry or npm's cache), the
 * installed `llmbench` run there with npx, and an external backend plugin, a folder of its own
 * depending only on the @llmbench/plugin-api tarball, checked with the contract kit and run by path.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('./__fixtures__/', import.meta.url));

interface Packed {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

interface Manifest {
  name: string;
  version: string;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
}

/**
 * This process's environment without what ties a child to the workspace: vitest's variables and the
 * `npm_*` ones npm sets for the script running this test (npm_config_local_prefix would make a child
 * npm install into the workspace). The user's npm configuration (registry, cache) stays.
 */
function outsideEnv(): NodeJS.ProcessEnv {
  const kept = Object.entries(withoutTestRunner()).filter(
    ([k]) =>
      k !== 'INIT_CWD' &&
      !(k.startsWith('npm_') && !k.startsWith('npm_config_')) &&
      ![
        'npm_config_local_prefix',
        'npm_config_call',
        'npm_config_workspace',
        'npm_config_workspaces',
        'npm_config_include_workspace_root',
      ].includes(k),
  );
  return { ...Object.fromEntries(kept), NO_COLOR: '1' };
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<Ran> {
  return runProcess(cmd, args, { cwd, env: outsideEnv(), timeoutMs });
}

/** `npx llmbench ...` in `cwd`, never fetching llmbench from the registry (`--no`). */
const npx = (args: string[], cwd: string): Promise<Ran> => run('npx', ['--no', '--', 'llmbench', ...args], cwd);

const NPM_INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error'];

interface MockServer {
  url: string;
  child: ChildProcess;
}

/** `npx llmbench mock-server --port 0` in its own process group, once it says where it listens. */
function startMockServer(cwd: string): Promise<MockServer> {
  return new Promise((resolve, reject) => {
    const args = [
      '--no',
      '--',
      'llmbench',
      'mock-server',
      '--port',
      '0',
      '--options',
      '{"latency":{"model":"tokens","ttft_ms":5,"itl_ms":2},"output_tokens":6}',
    ];
    const child = spawn('npx', args, { cwd, env: outsideEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ url, child });
    });
    child.once('exit', (code) => reject(new Error(`npx llmbench mock-server exited with code ${code}: ${err}`)));
  });
}

function stopMockServer(server: MockServer | undefined): void {
  if (server?.child.pid === undefined || server.child.exitCode !== null) return;
  // npx runs llmbench as a child of its own: end the whole group this test started.
  process.kill(-server.child.pid, 'SIGTERM');
}

async function stats(url: string): Promise<Record<string, number>> {
  return (await (await fetch(`${url}/llmbench/stats`)).json()) as Record<string, number>;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The packages a built JavaScript file imports (static, dynamic and re-exports), by package name. */
function importedPackages(text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

/** The package.json of every workspace package under packages/ and plugins/. */
async function workspaceManifests(): Promise<(Manifest & { private?: boolean })[]> {
  const found: (Manifest & { private?: boolean })[] = [];
  for (const group of ['packages', 'plugins']) {
    for (const dir of await readdir(join(root, group))) {
      found.push(JSON.parse(await readFile(join(root, group, dir, 'package.json'), 'utf8')) as Manifest & { private?: boolean });
    }
  }
  return found;
}

let base: string;
let app: string;
let plugin: string;
let packed: Packed[];
let contractServer: MockServer | undefined;
let runServer: MockServer | undefined;

const installed = (name: string): string => join(app, 'node_modules', name);
const manifest = async (name: string): Promise<Manifest> =>
  JSON.parse(await readFile(join(installed(name), 'package.json'), 'utf8')) as Manifest;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'llmbench-install-'));
  const tarballs = join(base, 'tarballs');
  const pack = await run(process.execPath, [join(root, 'tools/install-test/pack.mjs'), tarballs, '--json'], root);
  expect(pack.code, pack.stderr).toBe(0);
  packed = JSON.parse(pack.stdout) as Packed[];
  const tarball = (name: string): string => `file:${join(tarballs, packed.find((p) => p.name === name)!.filename)}`;

  // The user's project: llmbench, and any published package nothing else depends on (a plugin the
  // CLI does not ship); their @llmbench/* dependencies (exact versions, as a registry would serve
  // them) come from the other tarballs.
  app = join(base, 'app');
  await mkdir(app);
  const depended = new Set((await workspaceManifests()).flatMap((m) => Object.keys(m.dependencies ?? {})));
  const top = packed.filter((p) => !depended.has(p.name)).map((p) => p.name);
  expect(top).toContain('llmbench');
  const dependencies = Object.fromEntries(top.map((name) => [name, tarball(name)]));
  const overrides = Object.fromEntries(packed.filter((p) => !top.includes(p.name)).map((p) => [p.name, tarball(p.name)]));
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'bench-app', private: true, type: 'module', dependencies, overrides }, null, 2),
  );

  // The plugin author's package: @llmbench/plugin-api alone.
  plugin = join(base, 'plugin');
  await mkdir(plugin);
  await writeFile(
    join(plugin, 'package.json'),
    JSON.stringify(
      {
        name: 'llmbench-backend-echo',
        version: '1.0.0',
        type: 'module',
        exports: './index.mjs',
        dependencies: { '@llmbench/plugin-api': tarball('@llmbench/plugin-api') },
      },
      null,
      2,
    ),
  );
  await copyFile(join(fixtures, 'echo-backend.mjs'), join(plugin, 'index.mjs'));
  await copyFile(join(fixtures, 'contract.mjs'), join(plugin, 'contract.mjs'));

  const [appInstall, pluginInstall] = await Promise.all([
    run('npm', NPM_INSTALL, app, 170_000),
    run('npm', NPM_INSTALL, plugin, 170_000),
  ]);
  expect(appInstall.code, appInstall.stderr).toBe(0);
  expect(pluginInstall.code, pluginInstall.stderr).toBe(0);
  console.info(
    `install-test: packed ${packed.length} tarballs in ${(pack.ms / 1000).toFixed(1)} s; npm install took ${(appInstall.ms / 1000).toFixed(1)} s (llmbench) and ${(pluginInstall.ms / 1000).toFixed(1)} s (plugin), in parallel`,
  );
}, 180_000);

afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

describe('the packed tarballs', () => {
  test('are the published workspace packages (packages/*, plugins/*), not the private tools/*', async () => {
    const published = (await workspaceManifests()).filter((m) => !m.private).map((m) => m.name);
    expect(packed.map((p) => p.name).sort()).toEqual(published.sort());
  });

  test('carry no tests, fixtures or build info', () => {
    const stray = packed.flatMap((p) =>
      p.files.filter((f) => /\.test(-d)?\.ts$|__fixtures__|tsbuildinfo/.test(f.path)).map((f) => `${p.name}: ${f.path}`),
    );
    expect(stray).toEqual([]);
  });

  test('are what got installed: every one of them, each from its tarball', async () => {
    const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string }>;
    };
    const ours = Object.entries(lock.packages)
      .filter(([path]) => /^node_modules\/(llmbench|@llmbench\/[^/]+)$/.test(path))
      .map(([path, entry]) => [path.slice('node_modules/'.length), entry.resolved?.startsWith('file:') ?? false] as const);
    expect(ours.sort()).toEqual(packed.map((p) => [p.name, true] as const).sort());
  });

  test('installed, every export and bin points at a file that is in the package (without the llmbench-source condition)', async () => {
    const missing: string[] = [];
    for (const { name } of packed) {
      const pkg = await manifest(name);
      const files = new Set((await filesUnder(installed(name))).map((f) => f.slice(installed(name).length + 1)));
      const targets = Object.entries(pkg.exports ?? {}).flatMap(([sub, target]) =>
        typeof target === 'string'
          ? [[sub, target] as const]
          : Object.entries(target)
              .filter(([c]) => c !== 'llmbench-source')
              .map(([c, t]) => [`${sub} ${c}`, t] as const),
      );
      expect(targets.length, name).toBeGreaterThan(0);
      for (const [where, target] of [...targets, ...Object.entries(pkg.bin ?? {}).map(([b, t]) => [`bin ${b}`, t] as const)]) {
        if (!files.has(target.replace(/^\.\//, ''))) missing.push(`${name} ${where}: ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('every package their built code imports is a declared dependency', async () => {
    const undeclared: string[] = [];
    for (const { name } of packed) {
      const pkg = await manifest(name);
      const deps = Object.keys(pkg.dependencies ?? {});
      for (const file of (await filesUnder(join(installed(name), 'dist'))).filter((f) => f.endsWith('.js'))) {
        for (const dep of importedPackages(await readFile(file, 'utf8'))) {
          if (dep !== name && !deps.includes(dep)) undeclared.push(`${name} ${file.slice(installed(name).length + 1)}: ${dep}`);
        }
      }
    }
    expect(undeclared).toEqual([]);
  });

  test('the CLI declares every built-in plugin package it resolves by name', async () => {
    const deps = Object.keys((await manifest('llmbench')).dependencies ?? {});
    expect(Object.values(BUILTIN_PACKAGES).filter((p) => !deps.includes(p))).toEqual([]);
  });

  test('their @llmbench/* dependencies name the versions packed', async () => {
    const versions = new Map(packed.map((p) => [p.name, p.version]));
    const wrong: string[] = [];
    for (const { name } of packed) {
      for (const [dep, range] of Object.entries((await manifest(name)).dependencies ?? {})) {
        if (versions.has(dep) && range !== versions.get(dep))
          wrong.push(`${name} -> ${dep}@${range} (packed ${versions.get(dep)})`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('the installed llmbench command', () => {
  test('npx llmbench --version runs the installed bin', async () => {
    const ran = await npx(['--version'], app);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout.trim()).toBe(packed.find((p) => p.name === 'llmbench')!.version);
    expect((await readFile(join(installed('llmbench'), 'bin/llmbench.js'), 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(
      true,
    );
  });

  test('npx llmbench run drives the built-in mock backend and writes the results file', async () => {
    await writeFile(
      join(app, 'mock.yaml'),
      `name: installed
backend: { use: mock, options: { latency: { model: fixed, ms: 1 } } }
workload: { requests: 40 }
experiments:
  - { name: semaphore-4, strategy: { use: semaphore, options: { concurrency: 4 } } }
  - { name: batch-8, strategy: { use: batch, options: { size: 8 } } }
reporters: [console, { use: json, options: { output: "out/{scenario}.json" } }]
`,
    );
    const ran = await npx(['run', 'mock.yaml', '--threads', '1'], app);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toBe('');
    const results = JSON.parse(await readFile(join(app, 'out/installed.json'), 'utf8')) as RunResults;
    expect(results.experiments.map((e) => [e.name, e.summary.requests, e.summary.successes])).toEqual([
      ['semaphore-4', 40, 40],
      ['batch-8', 40, 40],
    ]);
  });
});

describe('an external backend plugin, depending on the @llmbench/plugin-api tarball only', () => {
  beforeAll(async () => {
    [contractServer, runServer] = await Promise.all([startMockServer(app), startMockServer(app)]);
  });

  afterAll(() => {
    stopMockServer(contractServer);
    stopMockServer(runServer);
  });

  test('has nothing installed but plugin-api and what plugin-api depends on', async () => {
    const lock = JSON.parse(await readFile(join(plugin, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    const api = JSON.parse(await readFile(join(plugin, 'node_modules/@llmbench/plugin-api/package.json'), 'utf8')) as Manifest;
    expect(
      Object.keys(lock.packages)
        .filter((p) => p !== '')
        .sort(),
    ).toEqual(
      ['node_modules/@llmbench/plugin-api', ...Object.keys(api.dependencies ?? {}).map((d) => `node_modules/${d}`)].sort(),
    );
  });

  test('passes every check of the contract kit against npx llmbench mock-server', async () => {
    const ran = await run(process.execPath, ['contract.mjs', contractServer!.url], plugin);
    expect(ran.code, ran.stderr).toBe(0);
    const checks = JSON.parse(ran.stdout) as { name: string; status: string }[];
    expect(checks.length).toBeGreaterThanOrEqual(20);
    expect(checks.filter((c) => c.status !== 'passed')).toEqual([]);
    expect((await stats(contractServer!.url)).requests_streamed).toBeGreaterThan(0);
  });

  test('npx llmbench run uses it by path, and the server counts every request it sent', async () => {
    await writeFile(
      join(app, 'echo.yaml'),
      `name: echo
servers:
  - { id: local, url: "${runServer!.url}", backend: ../plugin/index.mjs, model: mock-model }
workload: { requests: 30, stream: true }
experiments:
  - { name: c4, strategy: { use: semaphore, options: { concurrency: 4 } } }
reporters: [{ use: json, options: { output: "out/{scenario}.json" } }]
`,
    );
    const ran = await npx(['run', 'echo.yaml', '--threads', '1'], app);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toBe('');
    const results = JSON.parse(await readFile(join(app, 'out/echo.json'), 'utf8')) as RunResults;
    const [c4] = results.experiments;
    expect([c4?.name, c4?.summary.requests, c4?.summary.successes, c4?.summary.servers.map((s) => [s.id, s.requests])]).toEqual([
      'c4',
      30,
      30,
      [['local', 30]],
    ]);
    expect(c4?.summary.ttft_ms).not.toBeNull();
    const counted = await stats(runServer!.url);
    expect([counted.responses_ok, counted.requests_streamed]).toEqual([30, 30]);
  });
});
