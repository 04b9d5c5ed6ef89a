import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import type { RunResults } from '@llmbench/plugin-api';
import { type Ran, runNode, withoutTestRunner } from '@llmbench/test-support';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));

function node(args: string[], cwd: string): Promise<Ran> {
  return runNode(args, { cwd, env: { ...withoutTestRunner(), NO_COLOR: '1', NX_DAEMON: 'false' }, timeoutMs: 90_000 });
}

/**
 * A workspace shaped like this one (nx.json, tsconfig.base.json, vitest.config.ts, plugins/) whose
 * node_modules links this repository's, as `npm install` would after the generator ran: what a
 * contributor has after `npx nx g @llmbench/tools:plugin` in a fresh clone, without copying the repo.
 */
async function workspace(): Promise<string> {
  const ws = await mkdtemp(join(tmpdir(), 'llmbench-nxg-'));
  for (const file of ['nx.json', 'tsconfig.base.json', 'vitest.config.ts']) await cp(join(root, file), join(ws, file));
  for (const dir of ['packages', 'plugins', 'tools']) await mkdir(join(ws, dir));
  await writeFile(
    join(ws, 'package.json'),
    JSON.stringify({ name: 'ws', private: true, type: 'module', workspaces: ['plugins/*'] }),
  );
  const modules = join(ws, 'node_modules');
  await mkdir(join(modules, '@llmbench'), { recursive: true });
  for (const entry of await readdir(join(root, 'node_modules'))) {
    if (entry !== '@llmbench') await symlink(join(root, 'node_modules', entry), join(modules, entry));
  }
  for (const entry of await readdir(join(root, 'node_modules/@llmbench'))) {
    await symlink(join(root, 'node_modules/@llmbench', entry), join(modules, '@llmbench', entry));
  }
  return ws;
}

describe('nx g @llmbench/tools:plugin in a workspace, end to end', () => {
  let ws: string;
  let generated: Ran;
  let server: MockHttpServer;

  beforeAll(async () => {
    ws = await workspace();
    generated = await node(
      [
        join(root, 'node_modules/nx/dist/bin/nx.js'),
        'g',
        '@llmbench/tools:plugin',
        '--kind',
        'backend',
        '--name',
        'acme',
        '--skipInstall',
        '--no-interactive',
      ],
      ws,
    );
    await symlink(join(ws, 'plugins/backend-acme'), join(ws, 'node_modules/@llmbench/backend-acme'));
    server = await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 1 } } });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  test('writes plugins/backend-acme', () => {
    expect(generated.code, generated.stdout + generated.stderr).toBe(0);
    expect(generated.stdout).toContain('CREATE plugins/backend-acme/src/index.ts');
    expect(generated.stdout).toContain('CREATE plugins/backend-acme/src/index.test.ts');
  });

  test('it builds, and its own tests pass: the contract kit against the mock server', async () => {
    const plugin = join(ws, 'plugins/backend-acme');
    const built = await node([join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], plugin);
    expect(built.stdout + built.stderr).toBe('');
    const pkg = JSON.parse(await readFile(join(plugin, 'package.json'), 'utf8')) as { scripts: { test: string } };
    const [, ...args] = pkg.scripts.test.split(' ');
    const ran = await node([join(root, 'node_modules/vitest/vitest.mjs'), ...args, '--reporter', 'verbose'], plugin);
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    expect(ran.stdout).toContain('the backend passes the contract kit against the mock server');
    expect(ran.stdout).toMatch(/Tests +2 passed \(2\)/);
  }, 120_000);

  test('a scenario names it by its short name, and llmbench run drives the mock server through it', async () => {
    await writeFile(
      join(ws, 'scenario.yaml'),
      `name: acme
servers: [{ id: one, url: "${server.url}", backend: acme, model: mock-model }]
workload: { requests: 40, stream: true }
experiments: [{ name: sem, strategy: { use: semaphore, options: { concurrency: 4 } } }]
reporters: [{ use: json, options: { output: "out/{scenario}.json" } }]
`,
    );
    const before = server.stats().responses_ok;
    const ran = await node([join(root, 'packages/cli/bin/llmbench.js'), 'run', 'scenario.yaml', '--threads', '1'], ws);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const results = JSON.parse(await readFile(join(ws, 'out/acme.json'), 'utf8')) as RunResults;
    const [experiment] = results.experiments;
    expect([experiment?.summary.requests, experiment?.summary.successes]).toEqual([40, 40]);
    expect(results.servers.map((s) => [s.id, s.backend])).toEqual([['one', 'acme']]);
    expect(server.stats().responses_ok - before).toBe(40);
  }, 120_000);
});
