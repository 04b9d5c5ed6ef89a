import { resolve } from 'node:path';
import { loadScenario, redactText, type LoadedScenario, type RunOutcome } from '@llmbench/core';
import { writeFileAtomic, type Logger, type TextSink } from '@llmbench/plugin-api';
import { builtinPlugins } from './builtins.js';
import { displayPath, ExitCode, renderError } from './render.js';

export interface CliIO {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Aborts the run (SIGINT in the real CLI). */
  readonly signal?: AbortSignal;
}

/** What every command's action gets from the program. */
export interface CommandContext {
  readonly io: CliIO;
  readonly version: string;
  readonly debug: boolean;
  /** Says each distinct warning once; debug lines only with --debug. */
  readonly logger: Logger;
  /** Writes to stderr with the loaded scenario's secrets redacted. */
  readonly stderr: (text: string) => void;
  /** Remembers a loaded scenario's secrets, so nothing the CLI prints repeats them. */
  readonly loaded: (scenario: LoadedScenario) => LoadedScenario;
  readonly setExitCode: (code: number) => void;
}

export function createContext(io: CliIO, version: string, debug: boolean): CommandContext & { readonly exitCode: () => number } {
  let exitCode: number = ExitCode.OK;
  let secrets: ReadonlySet<string> = new Set();
  const stderr = (text: string): void => io.stderr.write(redactText(text, secrets));
  const warned = new Set<string>();
  return {
    io,
    version,
    debug,
    stderr,
    logger: {
      debug: (m) => void (debug && stderr(`debug: ${m}\n`)),
      info: (m) => stderr(`${m}\n`),
      // A sweep opens its servers once per point: say each distinct warning once.
      warn: (m) => {
        if (warned.has(m)) return;
        warned.add(m);
        stderr(`warning: ${m}\n`);
      },
      error: (m) => stderr(`error: ${m}\n`),
    },
    loaded: (scenario) => {
      secrets = scenario.secrets;
      return scenario;
    },
    setExitCode: (code) => {
      exitCode = code;
    },
    exitCode: () => exitCode,
  };
}

/** A scenario file named on the command line, relative to the current directory. */
export async function loadScenarioFile(file: string, io: CliIO): Promise<LoadedScenario> {
  return loadScenario(file.startsWith('/') ? file : `${io.cwd}/${file}`, {
    builtins: builtinPlugins(),
    env: io.env,
    ...(io.signal ? { signal: io.signal } : {}),
  });
}

/** Lists the files a run wrote and its errors; returns the exit code. */
export function finishRun(outcome: RunOutcome, ctx: CommandContext): number {
  for (const f of outcome.files) ctx.io.stdout.write(`wrote ${displayPath(f, ctx.io.cwd)}\n`);
  for (const e of outcome.errors) ctx.stderr(renderError(e, { cwd: ctx.io.cwd, debug: ctx.debug }));
  if (outcome.errors.length > 0) return ExitCode.RUNTIME;
  if (outcome.results.status === 'interrupted') return ExitCode.RUNTIME;
  if (!outcome.results.passed) return ExitCode.THRESHOLDS_FAILED;
  return ExitCode.OK;
}

/** Prints a rendered report, or writes it (atomically) to `output` and says where. */
export async function emit(text: string, output: string | undefined, io: CliIO): Promise<void> {
  if (output === undefined) return void io.stdout.write(text);
  const out = resolve(io.cwd, output);
  await writeFileAtomic(out, text);
  io.stdout.write(`wrote ${displayPath(out, io.cwd)}\n`);
}
