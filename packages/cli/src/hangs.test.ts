import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { type Ran, runNode, type Started, startNode } from '@llmbench/test-support';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/llmbench.js');

const SCENARIO = `backend: { use: mock, options: { latency: { model: fixed, ms: 5 } } }
workload: { requests: 20 }
experiments: [{ name: a, strategy: semaphore }]
`;

function llmbench(args: string[], cwd: string): Promise<Ran> {
  return runNode([bin, ...args], { cwd, timeoutMs: 20_000 });
}

test('a report path that cannot be written is a usage error before any load, at once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
  await writeFile(join(dir, 's.yaml'), `${SCENARIO}reporters: [{ use: json, options: { output: /proc/nope/x.json } }]\n`);
  const ran = await llmbench(['run', 's.yaml'], dir);
  expect(ran.code).toBe(2);
  expect(ran.ms).toBeLessThan(5_000);
  expect(ran.stderr).toContain('/proc/nope/x.json');
  expect(ran.stderr).not.toMatch(/INTERNAL/);
});

test('--raw to a FIFO nobody reads, or to a directory, is a usage error instead of a hang', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
  await writeFile(join(dir, 's.yaml'), `${SCENARIO}reporters: []\n`);
  await new Promise<void>((resolve, reject) => execFile('mkfifo', [join(dir, 'pipe')], (e) => (e ? reject(e) : resolve())));
  const fifo = await llmbench(['run', 's.yaml', '--raw', 'pipe'], dir);
  expect(fifo.code).toBe(2);
  expect(fifo.stderr).toMatch(/--raw .*pipe is a FIFO/);
  const directory = await llmbench(['run', 's.yaml', '--raw', '.'], dir);
  expect(directory.code).toBe(2);
  expect(directory.stderr).toMatch(/--raw .* is a directory/);
});

test.each(['SIGHUP', 'SIGTERM', 'SIGINT'] as const)(
  '%s stops the run and writes what was measured, marked interrupted and partial',
  async (signal) => {
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
    await writeFile(
      join(dir, 's.yaml'),
      `backend: { use: mock, options: { latency: { model: fixed, ms: 20 } } }
workload: { requests: 100000 }
experiments: [{ name: long, strategy: { use: semaphore, options: { concurrency: 4 } } }]
reporters: [{ use: console, options: { progress_interval_s: 0.1 } }, json, markdown]
`,
    );
    const { child, done } = startNode([bin, 'run', 's.yaml', '--out', 'out'], { cwd: dir });
    // Signal once the run is under way (its first progress line), not after a guessed sleep.
    await new Promise<void>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: string) => {
        out += d;
        if (out.includes('[long]')) resolve();
      });
    });
    const sent = performance.now();
    child.kill(signal);
    const { code, stderr } = await done;
    expect(performance.now() - sent).toBeLessThan(2_000);
    expect(code, stderr).toBe(3);
    const files = await readdir(join(dir, 'out'));
    expect(files.filter((f) => f.endsWith('.tmp') || f.startsWith('.'))).toEqual([]);
    const results = JSON.parse(await readFile(join(dir, 'out', files.find((f) => f.endsWith('.json'))!), 'utf8')) as {
      status: string;
      experiments: { name: string; partial?: boolean }[];
    };
    expect(results.status).toBe('interrupted');
    expect(results.experiments).toMatchObject([{ name: 'long', partial: true }]);
    const md = await readFile(join(dir, 'out', files.find((f) => f.endsWith('.md'))!), 'utf8');
    expect(md).toMatch(
      /the run was interrupted; below are the experiments that ran, of which long is partial \([\d,]+ of 100,000 requests\)/,
    );
  },
);

test('a temp file left by a write that was killed is removed by the next write to the same file', async () => {
  const { writeFileAtomic } = await import('@llmbench/plugin-api');
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-debris-'));
  // A pid that cannot be running: the kernel's pid_max is below 2^22.
  await writeFile(join(dir, '.r.json.llmbench-4194304-1.tmp'), '{"half":');
  await writeFile(join(dir, '.other.json.llmbench-4194304-1.tmp'), "another file's");
  await writeFileAtomic(join(dir, 'r.json'), '{}\n');
  expect((await readdir(dir)).sort()).toEqual(['.other.json.llmbench-4194304-1.tmp', 'r.json']);
});

/** A loopback TCP server that accepts connections and never answers; `connected` settles on the first. */
interface SilentServer {
  readonly port: number;
  readonly connected: Promise<void>;
  close(): Promise<void>;
}

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let connected!: () => void;
  const first = new Promise<void>((resolve) => (connected = resolve));
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    socket.resume();
    connected();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const silent = {
    port: (server.address() as { port: number }).port,
    connected: first,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  opened.push(silent);
  return silent;
}

/** Sends one keep-alive request and keeps the connection open; settles when the answer has begun. */
function holdConnection(url: URL): Promise<void> {
  const socket = connect(Number(url.port), url.hostname);
  opened.push({ close: async () => void socket.destroy() });
  socket.on('error', () => undefined);
  socket.write(`GET /v1/models HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n\r\n`);
  return new Promise<void>((resolve) => socket.once('data', () => resolve()));
}

interface Spawned {
  readonly child: Started['child'];
  /** Its stdout and stderr so far, in the order they came. */
  readonly output: () => string;
  readonly exited: Promise<Ran>;
}

function start(args: string[], cwd: string): Spawned {
  const { child, done } = startNode([bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  let output = '';
  child.stdout.on('data', (d: string) => (output += d));
  child.stderr.on('data', (d: string) => (output += d));
  return { child, output: () => output, exited: done };
}

/** Sends SIGTERM once `ready` settles; returns the exit and how long after the signal it came. */
async function stopWhen(cli: Spawned, ready: Promise<unknown>): Promise<{ code: number | null; ms: number; output: string }> {
  const early = cli.exited.then((e) => {
    throw new Error(`exited (${e.code}) before it was ready to be stopped:\n${cli.output()}`);
  });
  await Promise.race([ready, early]);
  early.catch(() => undefined);
  const sent = performance.now();
  cli.child.kill('SIGTERM');
  const { code } = await cli.exited;
  return { code, ms: performance.now() - sent, output: cli.output() };
}

async function resultsOf(dir: string): Promise<{ status: string; experiments: unknown[] }> {
  const files = await readdir(join(dir, 'out'));
  const json = files.find((f) => f.endsWith('.json'));
  expect(json, `results in ${files.join(', ')}`).toBeDefined();
  return JSON.parse(await readFile(join(dir, 'out', json!), 'utf8')) as { status: string; experiments: unknown[] };
}

describe('SIGTERM stops every phase within 2 s', () => {
  test('validate with a project config (.llmbenchrc.mjs) that waits forever', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
    await writeFile(join(dir, 's.yaml'), SCENARIO);
    await writeFile(
      join(dir, '.llmbenchrc.mjs'),
      "process.stderr.write('config: waiting\\n');\nexport default new Promise(() => setInterval(() => {}, 1000));\n",
    );
    const cli = start(['validate', 's.yaml'], dir);
    const waiting = new Promise<void>((resolve) =>
      cli.child.stderr.on('data', () => cli.output().includes('config: waiting') && resolve()),
    );
    const stopped = await stopWhen(cli, waiting);
    expect(stopped.ms).toBeLessThan(2_000);
    expect(stopped.code, stopped.output).toBe(3);
    expect(stopped.output).toContain('interrupted before any load: nothing was measured');
    expect(stopped.output).not.toMatch(/INTERNAL|\n\s+at /);
  }, 30_000);

  test('a scenario that is a FIFO is refused at once instead of waiting for a writer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
    await new Promise<void>((resolve, reject) => execFile('mkfifo', [join(dir, 's.yaml')], (e) => (e ? reject(e) : resolve())));
    const ran = await llmbench(['validate', 's.yaml'], dir);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/s\.yaml is a FIFO \(named pipe\)/);
  }, 30_000);

  // Each asks a server something before any load: serverInfo (llama.cpp's slots), setup (LM Studio's
  // model check), the tokenizer for synthetic prompts.
  test.each([
    ['llama.cpp serverInfo', (port: number) => `servers: [{ id: s, url: "http://127.0.0.1:${port}", backend: llamacpp }]`, ''],
    [
      'LM Studio model check',
      (port: number) => `servers: [{ id: s, url: "http://127.0.0.1:${port}", model: m, backend: lmstudio }]`,
      '',
    ],
    [
      'synthetic prompts from the server tokenizer',
      (port: number) => `servers: [{ id: s, url: "http://127.0.0.1:${port}", model: m, backend: vllm }]`,
      '\n  synthetic: { input_tokens: 64, output_tokens: 8 }',
    ],
  ])(
    'run waiting for a server that never answers: %s',
    async (_, servers, workload) => {
      const server = await silentServer();
      const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
      await writeFile(
        join(dir, 's.yaml'),
        `${servers(server.port)}\nworkload:\n  requests: 10${workload}\nexperiments: [{ name: a, strategy: semaphore }]\nreporters: [json]\n`,
      );
      const stopped = await stopWhen(start(['run', 's.yaml', '--out', 'out'], dir), server.connected);
      expect(stopped.ms).toBeLessThan(2_000);
      expect(stopped.code, stopped.output).toBe(3);
      expect(await resultsOf(dir)).toMatchObject({ status: 'interrupted', experiments: [] });
    },
    30_000,
  );

  test('run with every request waiting on a server that never answers', async () => {
    const server = await silentServer();
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
    await writeFile(
      join(dir, 's.yaml'),
      `servers: [{ id: s, url: "http://127.0.0.1:${server.port}", model: m, backend: openai }]\nworkload: { requests: 10 }\nexperiments: [{ name: a, strategy: semaphore }]\nreporters: [json]\n`,
    );
    const stopped = await stopWhen(start(['run', 's.yaml', '--out', 'out'], dir), server.connected);
    expect(stopped.ms).toBeLessThan(2_000);
    expect(stopped.code, stopped.output).toBe(3);
    expect(await resultsOf(dir)).toMatchObject({ status: 'interrupted', experiments: [{ name: 'a', partial: true }] });
  }, 30_000);

  test('benchmark against a worker that never answers writes its JSON, marked interrupted', async () => {
    const server = await silentServer();
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
    await writeFile(
      join(dir, 'w.json'),
      JSON.stringify({ workers: [{ id: 'w', host: '127.0.0.1', port: server.port, type: 'openai', model: 'm' }] }),
    );
    const stopped = await stopWhen(
      start(
        [
          'benchmark',
          '-c',
          'w.json',
          '--mode',
          'concurrency',
          '--concurrency-levels',
          '2',
          '--requests',
          '4',
          '--warmup',
          '0',
          '-o',
          'out/b.json',
        ],
        dir,
      ),
      server.connected,
    );
    expect(stopped.ms).toBeLessThan(2_000);
    expect(stopped.code, stopped.output).toBe(3);
    expect(JSON.parse(await readFile(join(dir, 'out', 'b.json'), 'utf8'))).toMatchObject({ results: { status: 'interrupted' } });
  }, 30_000);

  test('process against a worker that never answers', async () => {
    const server = await silentServer();
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
    await writeFile(
      join(dir, 'w.json'),
      JSON.stringify({
        workers: [{ id: 'w', host: '127.0.0.1', port: server.port, type: 'openai', model: 'm', max_concurrent_requests: 2 }],
      }),
    );
    await writeFile(join(dir, 'doc.md'), '# A paper\n');
    const stopped = await stopWhen(
      start(['process', '--config', 'w.json', '--input', '.', '--out', 'answers', '--threads', '1'], dir),
      server.connected,
    );
    expect(stopped.ms).toBeLessThan(2_000);
    expect(stopped.code, stopped.output).toBe(3);
  }, 30_000);

  test('mock-server with a client holding a keep-alive connection open', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-hangs-'));
    const cli = start(['mock-server', '--port', '0'], dir);
    const url = await new Promise<URL>((resolve) => {
      cli.child.stdout.on('data', () => {
        const found = /listening on (http:\/\/\S+)/.exec(cli.output());
        if (found) resolve(new URL(found[1]!));
      });
    });
    // A keep-alive connection that stays open after its answer: server.close() alone would wait for it.
    const stopped = await stopWhen(cli, holdConnection(url));
    expect(stopped.ms).toBeLessThan(2_000);
    expect(stopped.code, stopped.output).toBe(0);
  }, 30_000);
});
