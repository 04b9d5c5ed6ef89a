import { describe, expect, test } from 'vitest';
import type { PluginContext } from '@llmbench/plugin-api';
import semaphore from './index.js';

const ctx: PluginContext = {
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  clock: { now: () => 0 },
  scenarioDir: '.',
  seed: 1,
};
const input = { requests: 120, servers: 3, caps: [5, 5, Infinity] };

async function points(options: Record<string, unknown>) {
  const strategy = await semaphore.create(ctx, semaphore.options.parse(options));
  return strategy.points(input);
}

describe('points', () => {
  test('one closed-loop point of `concurrency` in flight, no barrier, reported as concurrency', async () => {
    expect(await points({ concurrency: 20 })).toEqual([{ concurrency: 20, params: { concurrency: 20 } }]);
  });

  test('concurrency defaults to 10', async () => {
    expect(await points({})).toEqual([{ concurrency: 10, params: { concurrency: 10 } }]);
  });

  test('the point is neither paced nor limited to fewer servers or requests', async () => {
    const [point] = await points({ concurrency: 3 });
    expect([point!.barrier, point!.rate, point!.servers, point!.requests]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('options', () => {
  test.each([0, -1, 1.5, null])('concurrency %j is rejected', (concurrency) => {
    expect(semaphore.options.safeParse({ concurrency }).error?.issues.map((i) => i.path)).toEqual([['concurrency']]);
  });

  test('an unknown option is rejected, not ignored', () => {
    expect(semaphore.options.safeParse({ concurrency: 4, size: 4 }).error?.issues).toMatchObject([
      { code: 'unrecognized_keys', keys: ['size'] },
    ]);
  });
});
