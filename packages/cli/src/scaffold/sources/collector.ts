/** A new collector plugin's src/index.ts and its test (`\${` is a `${` in the generated file). */
import { q, type SourceInput } from './shared.js';

export function collectorSource({ name, description }: SourceInput): string {
  return `import { z } from 'zod';
import { defineCollector } from '@llmbench/plugin-api';

export const MEMORY_FIELDS = ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers'] as const;

export const OptionsSchema = z.strictObject({
  fields: z
    .array(z.enum(MEMORY_FIELDS))
    .min(1)
    .default(['rss', 'heapUsed'])
    .describe('Fields of process.memoryUsage() to sample; each is reported as <field>_mb.'),
});

export type Options = z.output<typeof OptionsSchema>;

/** The llmbench process's own memory (MiB) while the measured runs execute. */
export default defineCollector({
  name: ${q(name)},
  description: ${q(description)},
  options: OptionsSchema,
  create(_ctx, options) {
    return {
      sample() {
        const usage = process.memoryUsage();
        return Object.fromEntries(options.fields.map((field) => [\`\${field}_mb\`, Math.round((usage[field] / 2 ** 20) * 10) / 10]));
      },
    };
  },
});
`;
}

export function collectorTest(_input: SourceInput): string {
  return `import { expect, test } from 'vitest';
import plugin from './index.js';

const ctx = { logger: console, clock: { now: () => 0 }, scenarioDir: process.cwd(), seed: 1 };

test('samples the chosen fields of the process memory, in MiB', async () => {
  const collector = await plugin.create(ctx, plugin.options.parse({ fields: ['rss', 'heapTotal'] }));
  const reading = await collector.sample();
  expect(Object.keys(reading)).toEqual(['rss_mb', 'heapTotal_mb']);
  // rss includes the heap: both are real, and in MiB rather than bytes.
  expect(reading['rss_mb']).toBeGreaterThanOrEqual(reading['heapTotal_mb']!);
  expect(reading['rss_mb']).toBeLessThan(process.memoryUsage().rss / 2 ** 10);
});

test('memory the process holds shows in the readings', async () => {
  const collector = await plugin.create(ctx, plugin.options.parse({ fields: ['arrayBuffers'] }));
  const before = (await collector.sample())['arrayBuffers_mb']!;
  const held = Buffer.alloc(64 * 2 ** 20, 1);
  const after = (await collector.sample())['arrayBuffers_mb']!;
  expect(held.length).toBe(64 * 2 ** 20);
  expect(after - before).toBeGreaterThanOrEqual(63.9);
});

test('the options reject an unknown field', () => {
  expect(plugin.options.safeParse({ fields: ['heap'] }).success).toBe(false);
});
`;
}
