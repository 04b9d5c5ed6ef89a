import { z } from 'zod';
import { defineStrategy } from '@llmbench/plugin-api';

/** Test strategy: one point with the given concurrency (and barrier when asked). */
export default defineStrategy({
  name: 'fixed',
  options: z.strictObject({ concurrency: z.number().int().positive(), barrier: z.boolean().default(false) }),
  create: (_ctx, o) => ({ points: () => [{ concurrency: o.concurrency, barrier: o.barrier }] }),
});
