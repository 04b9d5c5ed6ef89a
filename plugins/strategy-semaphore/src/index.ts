import { z } from 'zod';
import { defineStrategy } from '@llmbench/plugin-api';

/** The seed's "Inngest-style" mode: `asyncio.Semaphore(C)` around every request. */
export default defineStrategy({
  name: 'semaphore',
  description: 'At most C requests in flight; a new one starts as soon as one ends.',
  options: z.strictObject({
    concurrency: z.number().int().positive().default(10).describe('Most requests in flight at once.'),
  }),
  create: (_ctx, options) => ({
    points: () => [{ concurrency: options.concurrency, params: { concurrency: options.concurrency } }],
  }),
});
