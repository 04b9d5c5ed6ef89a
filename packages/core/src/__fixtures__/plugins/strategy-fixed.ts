import { z } from 'zod';
import { defineStrategy } from '@llmbench/plugin-api';

/** Test strategy: one point with the given concurrency (and barrier when asked). */
export default defineStrategy({
  name: 'fixed',
  options: z.strictObject({
    concurrency: z.number().int().positive(),
    barrier: z.boolean().default(false),
    pacing: z
      .discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('none') }),
        z.strictObject({ kind: z.literal('poisson'), rate: z.number().default(1) }),
      ])
      .optional(),
  }),
  create: (_ctx, o) => ({ points: () => [{ concurrency: o.concurrency, barrier: o.barrier }] }),
});
