import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineBackend } from '@llmbench/plugin-api';

/** Test backend: answers after `latency_ms`; `fail_every` N-th request gets HTTP 503. */
export default defineBackend({
  name: 'fake',
  aliases: ['fake_server'],
  options: z.strictObject({
    latency_ms: z.number().nonnegative().default(0),
    fail_every: z.number().int().positive().optional(),
    api_key: z.string().optional(),
  }),
  create(_ctx, o) {
    let n = 0;
    return {
      async send() {
        n++;
        if (o.latency_ms > 0) await sleep(o.latency_ms);
        if (o.fail_every !== undefined && n % o.fail_every === 0) return { kind: 'http_error', status: 503, message: 'busy' };
        return { kind: 'ok', status: 200 };
      },
      serverMetrics: () => ({ requests_received: n }),
    };
  },
});
