import { describe, expect, test } from 'vitest';
import type { PluginContext } from '@llmbench/plugin-api';
import batch from './index.js';

const ctx: PluginContext = {
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  clock: { now: () => 0 },
  scenarioDir: '.',
  seed: 1,
};
const input = { requests: 120, servers: 3, caps: [5, 5, Infinity] };

async function points(options: Record<string, unknown>) {
  const strategy = await batch.create(ctx, batch.options.parse(options));
  return strategy.points(input);
}

describe('points', () => {
  test('one point of waves of `size` behind a barrier, reported as batch_size', async () => {
    expect(await points({ size: 8 })).toEqual([{ concurrency: 8, barrier: true, params: { batch_size: 8 } }]);
  });

  test("size defaults to the seed's 50", async () => {
    expect(await points({})).toEqual([{ concurrency: 50, barrier: true, params: { batch_size: 50 } }]);
  });

  test("the request count and servers stay the workload's: the point overrides neither", async () => {
    const [point] = await points({ size: 8 });
    expect([point!.requests, point!.servers]).toEqual([undefined, undefined]);
  });
});

describe('options', () => {
  test.each([0, -4, 2.5, '10'])('size %j is rejected', (size) => {
    expect(batch.options.safeParse({ size }).error?.issues.map((i) => i.path)).toEqual([['size']]);
  });

  test('an unknown option is rejected, not ignored', () => {
    expect(batch.options.safeParse({ size: 4, concurrency: 4 }).error?.issues).toMatchObject([
      { code: 'unrecognized_keys', keys: ['concurrency'] },
    ]);
  });
});
