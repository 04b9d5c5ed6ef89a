import { z } from 'zod';
import { defineStrategy } from '@llmbench/plugin-api';

/**
 * The seed's "high parallelism" mode: send N at once, wait for all N (`asyncio.gather`), then the
 * next N. The engine reports the idle slot time the barrier causes.
 */
export default defineStrategy({
  name: 'batch',
  description: 'Send N requests at once, wait for all N to end, then send the next N.',
  options: z.strictObject({
    size: z.number().int().positive().default(50).describe('Requests per batch.'),
  }),
  create: (_ctx, options) => ({
    points: () => [{ concurrency: options.size, barrier: true, params: { batch_size: options.size } }],
  }),
});
