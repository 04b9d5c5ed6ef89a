import { z } from 'zod';
import { defineReporter, writeFileAtomic } from '@llmbench/plugin-api';

export default defineReporter({
  name: 'json',
  description: 'Writes the results file (format: schemas/results.schema.json).',
  options: z.strictObject({
    output: z
      .string()
      .min(1)
      .default('results/{scenario}-{timestamp}.json')
      .describe('Where to write; {scenario} and {timestamp} are replaced. Relative to the current directory.'),
    indent: z.number().int().min(0).max(8).default(2).describe('JSON indentation (0 for one line).'),
  }),
  create(ctx, options) {
    return {
      outputs: () => [ctx.resolveOutput(options.output)],
      async onRunEnd(results) {
        const path = ctx.resolveOutput(options.output);
        await writeFileAtomic(path, `${JSON.stringify(results, null, options.indent || undefined)}\n`);
        ctx.fileWritten(path);
      },
    };
  },
});
