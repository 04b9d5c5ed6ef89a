import { resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultThreads, runScenario } from '@llmbench/core';
import { EXIT_CODES_HELP, positiveInt } from '../args.js';
import { finishRun, loadScenarioFile, type CommandContext } from '../context.js';

/** `llmbench run`: a scenario file's experiments, and its reports. */
export function registerRun(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command('run')
    .description('run a scenario and write its reports')
    .argument('<scenario>', 'scenario file (.yaml, .yml or .json)')
    .option('-o, --out <dir>', 'write every report file under DIR instead of where the scenario says')
    .option('-t, --threads <n>', `worker threads sending requests (default ${defaultThreads()} on this machine)`, positiveInt)
    .option('--raw <file>', 'also write one JSON line per measured request to FILE (streamed)')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (file: string, opts: { out?: string; threads?: number; raw?: string }) => {
      const scenario = ctx.loaded(await loadScenarioFile(file, io));
      const outcome = await runScenario(scenario, {
        version: ctx.version,
        ...(opts.out === undefined ? {} : { outDir: opts.out }),
        ...(opts.threads === undefined ? {} : { threads: opts.threads }),
        ...(opts.raw === undefined ? {} : { rawPath: resolve(io.cwd, opts.raw) }),
        cwd: io.cwd,
        out: io.stdout,
        logger: ctx.logger,
        ...(io.signal ? { signal: io.signal } : {}),
      });
      ctx.setExitCode(finishRun(outcome, ctx));
    });
}
