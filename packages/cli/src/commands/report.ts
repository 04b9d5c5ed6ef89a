import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { readResultsFile } from '@llmbench/core';
import { EXIT_CODES_HELP } from '../args.js';
import { emit, type CommandContext } from '../context.js';
import { renderReport, REPORT_FORMATS, type ReportFormat } from '../report.js';

/** `llmbench report`: a report re-rendered from a results file, without running anything. */
export function registerReport(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command('report')
    .description(
      're-render a report from a results file alone (no re-run): the same Markdown the run wrote, or the console summary',
    )
    .argument('<results>', 'results file from "llmbench run" (json reporter) or "llmbench benchmark"')
    .addOption(
      new Option(
        '-f, --format <format>',
        "md: the markdown reporter's document (with the options the scenario gave it); console: the console summary",
      )
        .choices(REPORT_FORMATS)
        .default(REPORT_FORMATS[0]),
    )
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (file: string, opts: { format: ReportFormat; output?: string }) => {
      const results = await readResultsFile(resolve(io.cwd, file));
      await emit(renderReport(results, opts.format), opts.output, io);
    });
}
