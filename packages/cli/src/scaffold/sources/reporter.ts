/** A new reporter plugin's src/index.ts and its test (`\${` is a `${` in the generated file). */
import { q, type SourceInput } from './shared.js';

export function reporterSource({ name, description }: SourceInput): string {
  return `import { z } from 'zod';
import { defineReporter, writeFileAtomic, type ExperimentResult } from '@llmbench/plugin-api';

export const OptionsSchema = z.strictObject({
  output: z
    .string()
    .min(1)
    .default('results/{scenario}-{timestamp}.csv')
    .describe('Where to write; {scenario} and {timestamp} are replaced. Relative to the current directory.'),
  separator: z.enum([',', ';', '\\t']).default(',').describe('Column separator.'),
});

export type Options = z.output<typeof OptionsSchema>;

const COLUMNS = ['experiment', 'requests', 'success_rate', 'requests_per_second', 'latency_p50_ms', 'latency_p99_ms'] as const;

function row(e: Readonly<ExperimentResult>): (string | number)[] {
  const s = e.summary;
  return [e.name, s.requests, s.success_rate, s.requests_per_second, s.latency_ms?.p50 ?? '', s.latency_ms?.p99 ?? ''];
}

/** One line per experiment result, written when the run ends. */
export default defineReporter({
  name: ${q(name)},
  description: ${q(description)},
  options: OptionsSchema,
  create(ctx, options) {
    const lines = [COLUMNS.join(options.separator)];
    return {
      onExperimentEnd(experiment) {
        lines.push(row(experiment).join(options.separator));
      },
      async onRunEnd() {
        const path = ctx.resolveOutput(options.output);
        await writeFileAtomic(path, \`\${lines.join('\\n')}\\n\`);
        ctx.fileWritten(path);
      },
    };
  },
});
`;
}

export function reporterTest(_input: SourceInput): string {
  return `import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { ExperimentResult, ReporterContext, RunResults } from '@llmbench/plugin-api';
import plugin from './index.js';

/** An experiment result with only the fields this reporter reads. */
const result = (name: string, requestsPerSecond: number, p50: number | null) =>
  ({ name, summary: { requests: 100, success_rate: 1, requests_per_second: requestsPerSecond, latency_ms: p50 === null ? null : { p50, p99: p50 * 2 } } }) as unknown as ExperimentResult;

async function context(): Promise<{ ctx: ReporterContext; written: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'reporter-test-'));
  const written: string[] = [];
  const ctx: ReporterContext = {
    logger: console,
    clock: { now: () => 0 },
    scenarioDir: dir,
    seed: 1,
    out: { write() {}, isTTY: false },
    resolveOutput: (template) => join(dir, template.replace('{scenario}', 'demo').replace('{timestamp}', 't0')),
    fileWritten: (path) => void written.push(path),
  };
  return { ctx, written };
}

test('writes one line per experiment where resolveOutput says, and reports the file', async () => {
  const { ctx, written } = await context();
  const reporter = await plugin.create(ctx, plugin.options.parse({ output: 'out/{scenario}.csv' }));
  await reporter.onExperimentEnd?.(result('c1', 40.5, 24));
  await reporter.onExperimentEnd?.(result('c8', 210, null));
  await reporter.onRunEnd?.({} as RunResults);
  expect(written).toEqual([ctx.resolveOutput('out/{scenario}.csv')]);
  expect(await readFile(written[0]!, 'utf8')).toBe(
    'experiment,requests,success_rate,requests_per_second,latency_p50_ms,latency_p99_ms\\nc1,100,1,40.5,24,48\\nc8,100,1,210,,\\n',
  );
});

test('the options reject an empty output and unknown fields', () => {
  expect(plugin.options.safeParse({ output: '' }).success).toBe(false);
  expect(plugin.options.safeParse({ outptu: 'x.csv' }).success).toBe(false);
});
`;
}
