import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** How a child process ended and what it printed. */
export interface Ran {
  /** The exit code; null when a signal ended it (the time bound's SIGKILL among them). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to the close of its output, in milliseconds. */
  readonly ms: number;
}

export interface RunOptions {
  readonly cwd?: string;
  /** The child's whole environment; this process's when absent. */
  readonly env?: NodeJS.ProcessEnv;
  /** The child is killed with SIGKILL when it runs longer than this. */
  readonly timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 120_000;

/** A started child and the promise of its end; its stdout and stderr are decoded as UTF-8. */
export interface Started {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Settles as `runProcess` does. */
  readonly done: Promise<Ran>;
}

/**
 * Starts `command` with no stdin and collects its output, for a test that acts on the child while
 * it runs (a signal once it prints something). `done` resolves for every exit, a signal or the time
 * bound included; it rejects only when the command cannot be started.
 */
export function startProcess(command: string, args: readonly string[], options: RunOptions = {}): Started {
  const started = performance.now();
  const child = spawn(command, args, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Ran>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
  return { child, done };
}

/** Runs `command` to its end with no stdin; see `startProcess`. */
export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<Ran> {
  return startProcess(command, args, options).done;
}

/** `node <args>` with this process's Node binary, started. */
export function startNode(args: readonly string[], options: RunOptions = {}): Started {
  return startProcess(process.execPath, args, options);
}

/** `node <args>` with this process's Node binary. */
export function runNode(args: readonly string[], options: RunOptions = {}): Promise<Ran> {
  return runProcess(process.execPath, args, options);
}

/**
 * `env` without what the test runner sets for itself (vitest's variables, NODE_ENV), so a child
 * started from a test runs as it would from a shell.
 */
export function withoutTestRunner(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_ENV'));
}
