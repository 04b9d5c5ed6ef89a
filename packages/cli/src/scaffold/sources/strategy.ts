/** A new strategy plugin's src/index.ts and its test (`\${` is a `${` in the generated file). */
import { q, type SourceInput } from './shared.js';

export function strategySource({ name, description }: SourceInput): string {
  return `import { z } from 'zod';
import { defineStrategy } from '@llmbench/plugin-api';

export const OptionsSchema = z.strictObject({
  levels: z.array(z.number().int().positive()).min(1).default([1, 4, 16]).describe('Concurrency of each load point, in order.'),
  requests: z.number().int().positive().optional().describe("Requests per point (default: the workload's)."),
  stop_below_gain: z
    .number()
    .min(0)
    .default(0)
    .describe('Skip the remaining levels once throughput grows by less than this fraction (0.05: 5%) from one level to the next; 0 runs every level.'),
});

export type Options = z.output<typeof OptionsSchema>;

/** One load point per concurrency level; optionally stops once more concurrency stops paying. */
export default defineStrategy({
  name: ${q(name)},
  description: ${q(description)},
  options: OptionsSchema,
  create: (_ctx, options) => ({
    points: () =>
      options.levels.map((concurrency) => ({
        label: \`concurrency=\${concurrency}\`,
        concurrency,
        ...(options.requests === undefined ? {} : { requests: options.requests }),
        params: { concurrency },
      })),
    shouldContinue(done) {
      if (options.stop_below_gain === 0 || done.length < 2) return true;
      const [previous, last] = done.slice(-2).map((e) => e.summary.requests_per_second) as [number, number];
      return previous === 0 || (last - previous) / previous >= options.stop_below_gain;
    },
  }),
});
`;
}

export function strategyTest(_input: SourceInput): string {
  return `import { expect, test } from 'vitest';
import type { ExperimentResult } from '@llmbench/plugin-api';
import plugin from './index.js';

const ctx = { logger: console, clock: { now: () => 0 }, scenarioDir: process.cwd(), seed: 1 };
const input = { requests: 100, servers: 1, caps: [Infinity] };

/** A measured point, with only the fields this strategy reads. */
const measured = (requestsPerSecond: number) => ({ summary: { requests_per_second: requestsPerSecond } }) as unknown as ExperimentResult;

test('one point per level, in order, labelled with its concurrency', async () => {
  const strategy = await plugin.create(ctx, plugin.options.parse({ levels: [2, 8], requests: 50 }));
  expect(strategy.points(input)).toEqual([
    { label: 'concurrency=2', concurrency: 2, requests: 50, params: { concurrency: 2 } },
    { label: 'concurrency=8', concurrency: 8, requests: 50, params: { concurrency: 8 } },
  ]);
});

test('the points take the workload\\'s request count when none is given', async () => {
  const strategy = await plugin.create(ctx, plugin.options.parse({}));
  expect(strategy.points(input).map((p) => [p.concurrency, p.requests])).toEqual([[1, undefined], [4, undefined], [16, undefined]]);
});

test('stops once throughput grows by less than stop_below_gain', async () => {
  const strategy = await plugin.create(ctx, plugin.options.parse({ stop_below_gain: 0.1 }));
  expect(strategy.shouldContinue?.([measured(100), measured(150)])).toBe(true);
  expect(strategy.shouldContinue?.([measured(100), measured(150), measured(155)])).toBe(false);
});

test('the options reject a level of 0 and unknown fields', () => {
  expect(plugin.options.safeParse({ levels: [0] }).success).toBe(false);
  expect(plugin.options.safeParse({ level: [4] }).success).toBe(false);
});
`;
}
