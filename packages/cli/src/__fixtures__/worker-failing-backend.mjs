// A backend that works in the main thread but fails in worker threads: for the test that a worker's
// log lines reach the CLI's logger and its errors keep their code, hint and cause.
import { isMainThread, threadId } from 'node:worker_threads';
import { ErrorCodes, LlmbenchError, defineBackend } from '@llmbench/plugin-api';
import { z } from 'zod';

export default defineBackend({
  name: 'worker-failing',
  options: z.strictObject({ distinct: z.boolean().default(false) }),
  create(ctx, options) {
    if (!isMainThread) ctx.logger.warn('hello from a worker thread');
    return {
      setup() {
        if (isMainThread) return;
        throw new LlmbenchError(
          ErrorCodes.BACKEND_UNREACHABLE,
          `the worker cannot reach its server${options.distinct ? ` (thread ${threadId})` : ''}`,
          {
            hint: 'check the route from the worker threads',
            cause: new Error('root cause: no route'),
          },
        );
      },
      async send() {
        return { kind: 'ok', status: 200 };
      },
    };
  },
});
