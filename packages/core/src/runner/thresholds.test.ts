import { describe, expect, test } from 'vitest';
import type { SummaryStats } from '@llmbench/plugin-api';
import { resolveMetric, thresholdPercentiles } from './thresholds.js';

const stats = (fields: Record<string, unknown>): SummaryStats => fields as unknown as SummaryStats;
const read = (name: string, s: SummaryStats, servers = ['a', 'b.c']) => {
  const r = resolveMetric(name, servers);
  if ('error' in r) throw new Error(r.error);
  return r.read(s);
};
const lat = (p99: number, extra?: Record<string, number>) => ({
  avg: 1,
  min: 0,
  max: 9,
  stddev: 1,
  p50: 2,
  p90: 3,
  p95: 4,
  p99,
  ...(extra ? { extra } : {}),
});

describe('threshold metrics', () => {
  test('reads summary numbers by dotted path', () => {
    const s = stats({
      goodput: 7.5,
      prefix_cache_hit_rate: 0.25,
      failures: { http_error: 2, timeout: 3, connection_error: 0, protocol_error: 0, aborted: 0 },
      tokens: { output_tokens_per_second: 99 },
      servers: [],
    });
    expect(
      ['goodput', 'prefix_cache_hit_rate', 'failures', 'failures.timeout', 'tokens.output_tokens_per_second'].map((m) =>
        read(m, s),
      ),
    ).toEqual([7.5, 0.25, 5, 3, 99]);
  });

  test('any percentile of any latency family, the fixed ones from their fields and others from extra', () => {
    const s = stats({ ttft_ms: lat(10, { 'p99.9': 12 }), queue_ms: lat(5), itl_ms: null, servers: [] });
    expect(read('ttft_ms.p99', s)).toBe(10);
    expect(read('ttft_ms.p99.9', s)).toBe(12);
    expect(read('ttft_ms.p99.90', s)).toBe(12);
    expect(read('queue_ms.max', s)).toBe(9);
    expect(read('itl_ms.p50', s)).toBeNull();
    expect(read('queue_ms.p99.9', s)).toBeNull();
  });

  test('per-server metrics, server ids with dots included', () => {
    const s = stats({
      servers: [
        { id: 'a', busy_fraction: 0.5, latency_ms: lat(8) },
        {
          id: 'b.c',
          busy_fraction: 0.75,
          latency_ms: lat(6),
          failures: { http_error: 1, timeout: 0, connection_error: 0, protocol_error: 0, aborted: 0 },
        },
      ],
    });
    expect([
      read('servers.a.busy_fraction', s),
      read('servers.b.c.busy_fraction', s),
      read('servers.b.c.latency_ms.p99', s),
      read('servers.b.c.failures.http_error', s),
    ]).toEqual([0.5, 0.75, 6, 1]);
  });

  test('unknown names, stats, percentiles and servers are refused', () => {
    const names = [
      'goodptu',
      'ttft_ms.p101',
      'ttft_ms.p0',
      'ttft_ms.median',
      'e2el_ms.p50',
      'servers.z.busy_fraction',
      'servers.a.ttft_ms.p50',
      'latency_ms',
    ];
    expect(names.filter((m) => 'read' in resolveMetric(m, ['a']))).toEqual([]);
  });

  test('a refused name gets the likely intended one', () => {
    const guess = (m: string) => {
      const r = resolveMetric(m, ['a']);
      return 'error' in r ? r.hint.match(/^did you mean "([^"]+)"/)?.[1] : 'accepted';
    };
    expect(['goodptu', 'servers.z.busy_fraction', 'tokens.output_tokens_per_sec', 'zzz'].map(guess)).toEqual([
      'goodput',
      'servers.a.busy_fraction',
      'tokens.output_tokens_per_second',
      undefined,
    ]);
  });

  test('thresholds name the percentiles results must carry beyond the fixed four', () => {
    const ts = ['ttft_ms.p99.9', 'latency_ms.p95', 'servers.a.latency_ms.p75', 'goodput'].map((metric) => ({ metric, max: 1 }));
    expect(thresholdPercentiles(ts, ['a'])).toEqual([99.9, 75]);
  });
});
