import { expect, test } from 'vitest';
import { deltaRatio, defineBackend, type DerivedMetric, type MetricReadings } from '@llmbench/plugin-api';
import { Tally } from '../metrics/tally.js';
import type { ResolvedServer } from '../scenario/load.js';
import { addDeltas, derivedDeltas, derivedStats } from './derived.js';

const hitRate = deltaRatio('prefix_cache_hit_rate', 'hits', 'queries');

function server(id: string, derivedMetrics?: readonly DerivedMetric[]): ResolvedServer {
  const plugin = defineBackend({
    name: `b-${id}`,
    ...(derivedMetrics ? { derivedMetrics } : {}),
    create: () => ({ send: async () => ({ kind: 'ok', status: 200 }) }),
  });
  return {
    id,
    maxConcurrentRequests: Infinity,
    backend: { resolved: { kind: 'backend', ref: plugin.name, plugin, moduleUrl: 'file:///b.js' }, options: {}, rawOptions: {} },
  } as ResolvedServer;
}

test('a declared metric pools the deltas of the servers that report all its readings, and only theirs', () => {
  const servers = [server('a', [hitRate]), server('b', [hitRate]), server('c', [hitRate]), server('d')];
  const before: MetricReadings[] = [{ hits: 10, queries: 100 }, { hits: 0, queries: 0 }, { hits: 5 }, { hits: 0, queries: 0 }];
  const after = [
    { hits: 40, queries: 200 },
    { hits: 30, queries: 100 },
    { hits: 9, queries: 50 },
    { hits: 1000, queries: 1000 },
  ];
  const deltas = derivedDeltas(servers, before, after);
  expect(deltas.get('prefix_cache_hit_rate')?.sums).toEqual({ hits: 60, queries: 200 });
  expect(derivedStats(deltas, new Tally(4))).toEqual({ prefix_cache_hit_rate: 0.3, prefix_cache_source: 'server_metrics' });
});

test('pooled runs add their deltas before the formula is applied', () => {
  const servers = [server('a', [hitRate])];
  const pooled = derivedDeltas(servers, [{ hits: 0, queries: 0 }], [{ hits: 1, queries: 3 }]);
  addDeltas(pooled, derivedDeltas(servers, [{ hits: 1, queries: 3 }], [{ hits: 2, queries: 4 }]));
  expect(derivedStats(pooled, new Tally(1))).toEqual({ prefix_cache_hit_rate: 0.5, prefix_cache_source: 'server_metrics' });
});

test("no server declaring the metric, or no queries, leaves it to the responses' usage or null", () => {
  const none = derivedDeltas([server('d')], [{ hits: 0, queries: 0 }], [{ hits: 5, queries: 10 }]);
  expect(derivedStats(none, new Tally(1))).toEqual({ prefix_cache_hit_rate: null, prefix_cache_source: null });
  const idle = derivedDeltas([server('a', [hitRate])], [{ hits: 3, queries: 7 }], [{ hits: 3, queries: 7 }]);
  expect(derivedStats(idle, new Tally(1))).toEqual({ prefix_cache_hit_rate: null, prefix_cache_source: null });
});
