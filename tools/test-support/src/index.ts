import { spawn } from 'node:child_process';

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

/**
 * Runs `command` to its end with no stdin and collects its output. Resolves for every exit, a signal
 * or the time bound included; rejects only when the command cannot be started.
 */
export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
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
