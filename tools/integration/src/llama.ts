import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { type Ran, runProcess } from '@llmbench/test-support';

/**
 * Helpers for tests against llama.cpp's own server (../shared/llama-server beside the project, or
 * LLMBENCH_LLAMA_SERVER_DIR): start and stop it, run the CLI, read the server's own counts. When
 * the folder is absent a test file skips, saying why; LLMBENCH_REQUIRE_LLAMA_SERVER=1 (CI) makes
 * that a failure instead. LLMBENCH_LLAMA_PORT picks the ports (default: free ones).
 */
export const root = fileURLToPath(new URL('../../../', import.meta.url));
export const bin = join(root, 'packages/cli/bin/llmbench.js');
export const llama = process.env.LLMBENCH_LLAMA_SERVER_DIR ?? join(root, '../shared/llama-server');
export const present = existsSync(join(llama, 'bin/llama-server')) && existsSync(join(llama, 'start.sh'));
const required = process.env.LLMBENCH_REQUIRE_LLAMA_SERVER === '1';

/** Call once per test file: registers a failing test (CI) or prints why the file's tests skip. */
export function reportAbsent(what: string): void {
  if (present) return;
  const why = `${what}: ${llama} is absent`;
  if (required) test('the real llama.cpp server is present (LLMBENCH_REQUIRE_LLAMA_SERVER=1)', () => expect.fail(why));
  else console.warn(`SKIPPED ${why}`);
}

export interface Server {
  readonly url: string;
  readonly pid: number;
  readonly log: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let started = 0;

export async function startLlama(dir: string): Promise<Server> {
  // LLMBENCH_LLAMA_PORT: the first server's port; each further one in this file takes the next.
  const port = process.env.LLMBENCH_LLAMA_PORT ? Number(process.env.LLMBENCH_LLAMA_PORT) + started++ : await freePort();
  const log = join(dir, `llama-${port}.log`);
  const out = await run(
    'bash',
    ['--norc', '--noprofile', join(llama, 'start.sh'), String(port), '--parallel', '8'],
    { LLAMA_LOG: log },
    60_000,
  );
  if (out.code !== 0) throw new Error(`llama-server did not start: ${out.stderr}`);
  return { url: `http://127.0.0.1:${port}`, pid: Number(out.stdout.trim()), log };
}

export function stop(server: Server | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (!server) return;
  try {
    process.kill(server.pid, signal);
  } catch {
    // already gone
  }
}

/** Runs `cmd` with this process's environment plus `env`, killed after `timeoutMs`. */
export function run(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<Ran> {
  return runProcess(cmd, args, { env: { ...process.env, ...env }, timeoutMs });
}

/** The server's own counters (`llamacpp:*` names, no labels). */
export async function counters(server: Server): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^llamacpp:([a-z_]+) ([0-9.e+-]+)$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Requests the server took on: one "processing task" line per request in its log. */
export async function served(server: Server): Promise<number> {
  const text = await readFile(server.log, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.includes('launch_slot_') && l.includes('processing task')).length;
}
