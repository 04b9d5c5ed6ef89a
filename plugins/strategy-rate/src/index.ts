import { z } from 'zod';
import { defineStrategy } from '@llmbench/plugin-api';

/**
 * Open-loop load: requests start at a fixed rate whatever the server does, as real users arrive.
 * Latency counts from each request's intended start, so when the server (or the in-flight limit)
 * falls behind, the queueing shows in the percentiles instead of being hidden.
 */
export default defineStrategy({
  name: 'rate',
  description: 'Start requests at a fixed rate (open loop); latency counts from the intended start.',
  options: z.strictObject({
    rate: z.number().positive().describe('Requests started per second.'),
    arrivals: z.enum(['uniform', 'poisson']).default('uniform').describe('Evenly spaced starts, or a Poisson process (seeded).'),
    max_in_flight: z.number().int().positive().default(1000).describe('Most requests outstanding; beyond it starts wait (and the wait counts as latency).'),
  }),
  create: (_ctx, o) => ({
    points: () => [{ concurrency: o.max_in_flight, rate: o.rate, arrivals: o.arrivals, params: { rate: o.rate, arrivals: o.arrivals } }],
  }),
});
