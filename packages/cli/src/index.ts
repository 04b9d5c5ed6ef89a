import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { EXIT_CODES_HELP } from './args.js';
import { registerBenchmark } from './commands/benchmark.js';
import { registerCompare } from './commands/compare.js';
import { registerMockServer } from './commands/mock-server.js';
import { registerNewPlugin } from './commands/new-plugin.js';
import { registerPlugins } from './commands/plugins.js';
import { registerProcess } from './commands/process.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { registerValidate } from './commands/validate.js';
import { createContext, type CliIO, type CommandContext } from './context.js';
import { processIO } from './process-io.js';
import { exitCodeFor, ExitCode, renderError } from './render.js';

export { ExitCode } from './render.js';
export { BUILTIN_PACKAGES, builtinPlugins } from './builtins.js';
export type { CliIO } from './context.js';

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The commands, in the order `--help` lists them; each file under commands/ holds one. */
const COMMANDS: readonly ((program: Command, ctx: CommandContext) => void)[] = [
  registerRun,
  registerBenchmark,
  registerReport,
  registerCompare,
  registerValidate,
  registerMockServer,
  registerPlugins,
  registerNewPlugin,
  registerProcess,
];

/** Runs the CLI and returns the exit code. Never throws; never prints a stack trace without --debug. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const debug = argv.includes('--debug');
  const ctx = createContext(io, VERSION, debug);
  const program = new Command()
    .name('llmbench')
    .description('Load-test LLM inference servers with declarative scenario files.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addOption(new Option('--debug', 'show stack traces and debug logs'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText('after', EXIT_CODES_HELP);
  for (const register of COMMANDS) register(program, ctx);

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help')
        return ExitCode.OK;
      return ExitCode.USAGE;
    }
    // Stopped by a signal before anything was measured (reading or checking the scenario).
    if (io.signal?.aborted && error === io.signal.reason) {
      ctx.stderr('interrupted before any load: nothing was measured\n');
      return ExitCode.RUNTIME;
    }
    ctx.stderr(renderError(error, { cwd: io.cwd, debug }));
    return exitCodeFor(error);
  }
  return ctx.exitCode();
}
