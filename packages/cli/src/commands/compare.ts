import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { compareResults, readResultsFile } from '@llmbench/core';
import { EXIT_CODES_HELP } from '../args.js';
import { renderComparisonMarkdown, renderComparisonText } from '../compare.js';
import { emit, type CommandContext } from '../context.js';

const COMPARE_FORMATS = ['console', 'md'] as const;

/** `llmbench compare`: the seed's speedup table over results files of one scenario. */
export function registerCompare(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command('compare')
    .description("the seed's speedup table for two or more results files of the same scenario (points matched by name)")
    .argument(
      '<files...>',
      'results files from "llmbench run" (json reporter) or "llmbench benchmark"; the first is the baseline',
    )
    .addOption(
      new Option('-f, --format <format>', 'console table or Markdown').choices(COMPARE_FORMATS).default(COMPARE_FORMATS[0]),
    )
    .option('-o, --output <file>', 'write the table to FILE instead of stdout')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (files: string[], opts: { format: (typeof COMPARE_FORMATS)[number]; output?: string }) => {
      const inputs = [];
      for (const file of files.map((f) => resolve(io.cwd, f))) inputs.push({ file, results: await readResultsFile(file) });
      const comparison = compareResults(inputs, io.cwd);
      await emit(opts.format === 'md' ? renderComparisonMarkdown(comparison) : renderComparisonText(comparison), opts.output, io);
    });
}
