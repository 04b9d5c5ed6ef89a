import { FAILURE_KINDS, type BarrierStats, type ServerStats, type SummaryStats } from '@llmbench/plugin-api';
import { addMoments, createHistogram, Distribution, emptyMoments, encodeHistogram, latencyStats } from './histogram.js';
import { emptyFailures, type Tally } from './tally.js';
import { sloFields, type ResolvedSlo } from './slo.js';

export interface ServerInfo {
  readonly id: string;
  readonly url?: string;
}

/** `x` rounded to `digits` decimals (3 by default). */
export const round = (x: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/**
 * Turns a tally into the numbers of a results file.
 * success_rate = successes / requests; requests_per_second = requests / wall_time_s;
 * load_share = server requests / all requests; busy_fraction = time with >= 1 request in flight / wall time.
 */
export function summarizeTally(
  tally: Tally,
  servers: readonly ServerInfo[],
  wallMs: number,
  extra: {
    barrier?: { batches: number; idleSlotMs: number; slots: number };
    /** Percentiles every latency family carries beyond p50/p90/p95/p99. */
    percentiles?: readonly number[];
    slo?: ResolvedSlo;
  } = {},
): Omit<
  SummaryStats,
  'server_metrics' | 'collectors' | 'prefix_cache_hit_rate' | 'prefix_cache_source' | 'input_lengths' | 'output_lengths'
> {
  const pct = extra.percentiles ?? [];
  const latency = createHistogram();
  const moments = emptyMoments();
  const failures = emptyFailures();
  const queue = new Distribution();
  let queued = 0;
  let reconnects = 0;
  let noReuse = 0;
  let requests = 0;
  let successes = 0;
  for (const s of tally.servers) {
    queue.merge(s.queue);
    queued += s.waited;
    reconnects += s.reconnects;
    noReuse += s.noReuse;
    latency.add(s.latency);
    addMoments(moments, s.moments);
    requests += s.requests;
    successes += s.successes;
    for (const k of FAILURE_KINDS) failures[k] += s.failures[k];
  }
  const serverStats: ServerStats[] = tally.servers.map((s, i) => ({
    id: servers[i]!.id,
    ...(servers[i]!.url === undefined ? {} : { url: servers[i]!.url }),
    requests: s.requests,
    successes: s.successes,
    failures: { ...s.failures },
    success_rate: s.requests ? round(s.successes / s.requests, 6) : 0,
    load_share: requests ? round(s.requests / requests, 6) : 0,
    max_in_flight: s.maxInFlight,
    latency_ms: latencyStats(s.latency, s.moments, pct),
    queue_ms: s.queue.stats(pct),
    queued_requests: s.waited,
    busy_fraction: wallMs > 0 ? round(Math.min(1, s.busyMs / wallMs), 6) : 0,
    ejections: s.ejections,
    reconnects: s.reconnects,
    no_reuse_requests: s.noReuse,
  }));
  let barrier: BarrierStats | undefined;
  if (extra.barrier) {
    const capacity = extra.barrier.slots * wallMs;
    barrier = {
      batches: extra.barrier.batches,
      idle_slot_s: round(extra.barrier.idleSlotMs / 1000, 6),
      idle_fraction: capacity > 0 ? round(Math.min(1, extra.barrier.idleSlotMs / capacity), 6) : 0,
    };
  }
  const wall = wallMs / 1000;
  const latencyMs = latencyStats(latency, moments, pct);
  const ttftMs = tally.ttft.stats(pct);
  const itlMs = tally.itl.stats(pct);
  const tpotMs = tally.tpot.stats(pct);
  const wallS = round(wall, 6);
  return {
    requests,
    successes,
    failures,
    success_rate: requests ? round(successes / requests, 6) : 0,
    wall_time_s: wallS,
    requests_per_second: wall > 0 ? round(requests / wall) : 0,
    latency_ms: latencyMs,
    latency_histogram: encodeHistogram(latency),
    ttft_ms: ttftMs,
    itl_ms: itlMs,
    tpot_ms: tpotMs,
    server_ttft_ms: tally.serverTtft.stats(pct),
    server_prompt_ms: tally.serverPrompt.stats(pct),
    server_tpot_ms: tally.serverTpot.stats(pct),
    server_tokens_per_second: tally.serverTps.count
      ? {
          avg: round(tally.serverTps.sum / tally.serverTps.count),
          min: round(tally.serverTps.min),
          max: round(tally.serverTps.max),
        }
      : null,
    tokens: {
      input: tally.tokens.input,
      output: tally.tokens.output,
      cached: tally.tokens.cached,
      output_tokens_per_second: wall > 0 ? round(tally.tokens.output / wall) : 0,
      sources: {
        server: tally.tokens.server,
        counted: tally.tokens.counted,
        estimated: tally.tokens.estimated,
        none: tally.tokens.none,
      },
      cache_reported: tally.tokens.cacheReported,
    },
    ...sloFields(extra.slo, tally.slo, {
      wall_time_s: wallS,
      latency_ms: latencyMs,
      ttft_ms: ttftMs,
      itl_ms: itlMs,
      tpot_ms: tpotMs,
    }),
    max_in_flight: tally.maxInFlight,
    queue_ms: queue.stats(pct),
    queued_requests: queued,
    reconnects,
    no_reuse_requests: noReuse,
    servers: serverStats,
    ...(barrier ? { barrier } : {}),
    failure_samples: tally.failureSamples(),
  };
}
