import type { OkOutcome, TurnStats } from '@llmbench/plugin-api';
import { Distribution, percentileMs, type SerializedDistribution } from '../metrics/histogram.js';

/** Turns measured one by one; later turns are pooled into the last row (histograms per turn are not free). */
export const MAX_TURN_ROWS = 32;

class TurnRow {
  requests = 0;
  successes = 0;
  readonly latency = new Distribution();
  readonly ttft = new Distribution();
  readonly inputTokens = new Distribution();
  readonly outputTokens = new Distribution();
}

export interface SerializedTurns {
  readonly rows: readonly {
    readonly requests: number;
    readonly successes: number;
    readonly latency: SerializedDistribution;
    readonly ttft: SerializedDistribution;
    readonly inputTokens: SerializedDistribution;
    readonly outputTokens: SerializedDistribution;
  }[];
}

/**
 * What each turn of multi-turn conversations measured: requests, successes, latency, TTFT and the
 * prompt and answer lengths the server reported. Empty (and reported as null) for other workloads.
 */
export class TurnTally {
  private readonly rows: TurnRow[] = [];

  /** Turn `turn` (0-based) ended with `outcome`; latency and TTFT in ms (TTFT undefined when not streamed). */
  ended(turn: number, outcome: { readonly kind: string }, latencyMs: number, ttftMs: number | undefined): void {
    const row = this.row(Math.min(turn, MAX_TURN_ROWS - 1));
    row.requests++;
    if (outcome.kind !== 'ok') return;
    row.successes++;
    row.latency.record(latencyMs);
    if (ttftMs !== undefined) row.ttft.record(ttftMs);
    const usage = (outcome as OkOutcome).usage;
    if (usage?.inputTokens !== undefined) row.inputTokens.record(usage.inputTokens);
    if (usage?.outputTokens !== undefined) row.outputTokens.record(usage.outputTokens);
  }

  merge(other: TurnTally): void {
    other.rows.forEach((o, i) => {
      const row = this.row(i);
      row.requests += o.requests;
      row.successes += o.successes;
      row.latency.merge(o.latency);
      row.ttft.merge(o.ttft);
      row.inputTokens.merge(o.inputTokens);
      row.outputTokens.merge(o.outputTokens);
    });
  }

  serialize(): SerializedTurns {
    return {
      rows: this.rows.map((r) => ({
        requests: r.requests,
        successes: r.successes,
        latency: r.latency.serialize(),
        ttft: r.ttft.serialize(),
        inputTokens: r.inputTokens.serialize(),
        outputTokens: r.outputTokens.serialize(),
      })),
    };
  }

  static deserialize(data: SerializedTurns): TurnTally {
    const t = new TurnTally();
    data.rows.forEach((d, i) => {
      const row = t.row(i);
      row.requests = d.requests;
      row.successes = d.successes;
      row.latency.merge(Distribution.deserialize(d.latency));
      row.ttft.merge(Distribution.deserialize(d.ttft));
      row.inputTokens.merge(Distribution.deserialize(d.inputTokens));
      row.outputTokens.merge(Distribution.deserialize(d.outputTokens));
    });
    return t;
  }

  /** One entry per turn that was sent, or null when none was (not a multi-turn workload). */
  stats(): TurnStats[] | null {
    if (this.rows.length === 0) return null;
    return this.rows.map((r, i) => ({
      turn: i + 1,
      requests: r.requests,
      successes: r.successes,
      latency_ms: pair(r.latency),
      ttft_ms: pair(r.ttft),
      input_tokens: tokens(r.inputTokens),
      output_tokens: tokens(r.outputTokens),
    }));
  }

  private row(i: number): TurnRow {
    while (this.rows.length <= i) this.rows.push(new TurnRow());
    return this.rows[i]!;
  }
}

function pair(d: Distribution): TurnStats['latency_ms'] {
  if (d.moments.count === 0) return null;
  return { p50: percentileMs(d.histogram, 50), p95: percentileMs(d.histogram, 95) };
}

function tokens(d: Distribution): TurnStats['input_tokens'] {
  if (d.moments.count === 0) return null;
  return {
    avg: Math.round((d.moments.sum / d.moments.count) * 1000) / 1000,
    p50: Math.round(percentileMs(d.histogram, 50)),
    p95: Math.round(percentileMs(d.histogram, 95)),
  };
}
