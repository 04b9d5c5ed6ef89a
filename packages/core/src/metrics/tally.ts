// Over 400 lines on purpose: the per-thread accumulator, its merge and its wire encoding are one
// format that must change together (a field added to one and not the others is lost across threads).
import {
  FAILURE_KINDS,
  type ConnectionFacts,
  type FailureCounts,
  type FailureKind,
  type FailureOutcome,
  type FailureSample,
  type OkOutcome,
} from '@llmbench/plugin-api';
import {
  addMoments,
  createHistogram,
  decodeHistogram,
  Distribution,
  emptyMoments,
  encodeHistogram,
  recordMs,
  type Histogram,
  type Moments,
  type SerializedDistribution,
} from './histogram.js';
import { emptySloCounts, type SloCounts, type SloLimits } from './slo.js';
import { TurnTally, type SerializedTurns } from '../workload/turns.js';

export const MAX_SAMPLES_PER_KIND = 5;
/**
 * Distinct messages per kind counted, across merges, before the most frequent are chosen: counting
 * only the first five a thread saw would undercount a message another thread saw first.
 */
const TRACKED_PER_KIND = 64;

export function emptyFailures(): FailureCounts {
  return { http_error: 0, timeout: 0, connection_error: 0, protocol_error: 0, aborted: 0 };
}

export function totalFailures(f: Readonly<FailureCounts>): number {
  let n = 0;
  for (const k of FAILURE_KINDS) n += f[k];
  return n;
}

/** What one server saw during a run, from the client's side. */
export class ServerTally {
  requests = 0;
  successes = 0;
  readonly failures = emptyFailures();
  /** Successful latencies, microseconds. */
  latency: Histogram = createHistogram();
  readonly moments: Moments = emptyMoments();
  inFlight = 0;
  maxInFlight = 0;
  /** Time each request waited client-side for a slot on this server. */
  readonly queue = new Distribution();
  /** Requests that had to wait at all. */
  waited = 0;
  /** Time with at least one request in flight (set from the balancer after a run). */
  busyMs = 0;
  /** Times the balancer took this server out for failing. */
  ejections = 0;
  /** Requests sent again on a fresh connection after a reused one died before any byte of the answer. */
  reconnects = 0;
  /** Requests sent without connection reuse, because the server closes its connections after answering. */
  noReuse = 0;

  /** Notes how a measured request used its connection (`ConnectionFacts`). */
  connection(o: ConnectionFacts): void {
    if (o.resent) this.reconnects++;
    if (o.noReuse) this.noReuse++;
  }

  merge(other: ServerTally): void {
    this.requests += other.requests;
    this.successes += other.successes;
    for (const k of FAILURE_KINDS) this.failures[k] += other.failures[k];
    this.latency.add(other.latency);
    addMoments(this.moments, other.moments);
    this.maxInFlight = Math.max(this.maxInFlight, other.maxInFlight);
    this.queue.merge(other.queue);
    this.waited += other.waited;
    this.busyMs += other.busyMs;
    this.ejections += other.ejections;
    this.reconnects += other.reconnects;
    this.noReuse += other.noReuse;
  }
}

/** Token counts summed over successful requests, and where the counts came from. */
export interface TokenTotals {
  input: number;
  output: number;
  cached: number;
  /** Requests whose counts came from the server's `usage`, were counted from chunks, estimated, or are unknown. */
  server: number;
  counted: number;
  estimated: number;
  none: number;
  /** Requests whose usage said how many prompt tokens were cached (`prompt_tokens_details.cached_tokens`). */
  cacheReported: number;
}

export function emptyTokens(): TokenTotals {
  return { input: 0, output: 0, cached: 0, server: 0, counted: 0, estimated: 0, none: 0, cacheReported: 0 };
}

/** A tally as plain data, to cross threads (structured clone) without losing anything. */

export interface SerializedTally {
  readonly maxInFlight: number;
  readonly ttft: SerializedDistribution;
  readonly itl: SerializedDistribution;
  readonly tpot: SerializedDistribution;
  readonly inputLengths: SerializedDistribution;
  readonly outputLengths: SerializedDistribution;
  readonly serverTtft: SerializedDistribution;
  readonly serverPrompt: SerializedDistribution;
  readonly serverTpot: SerializedDistribution;
  readonly serverTps: Moments;
  readonly tokens: TokenTotals;
  readonly slo: SloCounts;
  readonly turns: SerializedTurns;
  readonly servers: readonly {
    readonly requests: number;
    readonly successes: number;
    readonly failures: FailureCounts;
    readonly latency: string;
    readonly moments: Moments;
    readonly maxInFlight: number;
    readonly queue: SerializedDistribution;
    readonly waited: number;
    readonly busyMs: number;
    readonly ejections: number;
    readonly reconnects: number;
    readonly noReuse: number;
  }[];
  readonly samples: readonly FailureSample[];
}

/**
 * Everything measured in one run, mergeable exactly: counts add, histograms add, maxima take the max.
 * (The same merge combines runs into an experiment summary.)
 */
export class Tally {
  readonly servers: ServerTally[];
  inFlight = 0;
  maxInFlight = 0;
  /** Streaming timings: time to first token, inter-token latency (pooled gaps), time per output token. */
  readonly ttft = new Distribution();
  readonly itl = new Distribution();
  readonly tpot = new Distribution();
  /** Prompt and output tokens per successful request, as its usage said (in the histograms' ms unit). */
  readonly inputLengths = new Distribution();
  readonly outputLengths = new Distribution();
  /** What servers reported themselves: TTFT (LM Studio), prompt time and decode time per token (llama.cpp), tokens/s (moments only). */
  readonly serverTtft = new Distribution();
  readonly serverPrompt = new Distribution();
  readonly serverTpot = new Distribution();
  readonly serverTps: Moments = emptyMoments();
  readonly tokens: TokenTotals = emptyTokens();
  /** Successful requests within each SLO limit and within all (counted only when `limits` are given). */
  readonly slo: SloCounts = emptySloCounts();
  /** Per-turn figures of multi-turn conversations (empty otherwise). */
  readonly turns = new TurnTally();
  private readonly samples = new Map<FailureKind, Map<string, number>>();

  constructor(
    serverCount: number,
    private readonly limits?: SloLimits,
  ) {
    this.servers = Array.from({ length: serverCount }, () => new ServerTally());
  }

  started(server: number, queuedMs: number): void {
    const s = this.servers[server]!;
    if (++s.inFlight > s.maxInFlight) s.maxInFlight = s.inFlight;
    if (++this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
    s.queue.record(queuedMs);
    if (queuedMs > 0) s.waited++;
  }

  /** Ends a request that is not measured (warmup). */
  discard(server: number): void {
    this.servers[server]!.inFlight--;
    this.inFlight--;
  }

  succeeded(server: number, latencyMs: number): void {
    const s = this.servers[server]!;
    s.inFlight--;
    this.inFlight--;
    s.requests++;
    s.successes++;
    recordMs(s.latency, s.moments, latencyMs);
  }

  /**
   * Records what a successful response says beyond its latency (vLLM benchmark definitions):
   * TTFT = first chunk with choices - send; ITL = gaps between consecutive chunks with choices;
   * TPOT = (E2EL - TTFT) / (output tokens - 1), for requests with more than one output token.
   */
  streamed(outcome: OkOutcome, sentAt: number, e2elMs: number): void {
    const usage = outcome.usage;
    const t = this.tokens;
    if (usage) {
      t.input += usage.inputTokens ?? 0;
      t.output += usage.outputTokens ?? 0;
      t.cached += usage.cachedTokens ?? 0;
      if (usage.cachedTokens !== undefined) t.cacheReported++;
      t[usage.source]++;
      if (usage.inputTokens !== undefined) this.inputLengths.record(usage.inputTokens);
      if (usage.outputTokens !== undefined) this.outputLengths.record(usage.outputTokens);
    } else t.none++;
    const st = outcome.serverTiming;
    if (st) {
      if (st.ttftMs !== undefined) this.serverTtft.record(st.ttftMs);
      if (st.promptMs !== undefined) this.serverPrompt.record(st.promptMs);
      if (st.decodeMsPerToken !== undefined) this.serverTpot.record(st.decodeMsPerToken);
      if (st.tokensPerSecond !== undefined) addSample(this.serverTps, st.tokensPerSecond);
    }
    const first = outcome.firstTokenAt;
    // NaN for a measure the request lacks: it meets no limit on it.
    let ttftMs = NaN;
    let maxGap = NaN;
    let tpotMs = NaN;
    if (first !== undefined) {
      ttftMs = first - sentAt;
      this.ttft.record(ttftMs);
      const times = outcome.chunkTimes;
      if (times) {
        for (let i = 1; i < times.length; i++) {
          const gap = times[i]! - times[i - 1]!;
          this.itl.record(gap);
          if (!(gap <= maxGap)) maxGap = gap;
        }
      }
      const out = usage?.outputTokens;
      if (out !== undefined && out > 1) {
        tpotMs = (e2elMs - ttftMs) / (out - 1);
        this.tpot.record(tpotMs);
      }
    }
    if (this.limits) this.checkSlo(this.limits, ttftMs, maxGap, tpotMs, e2elMs);
  }

  /** One successful request against the per-request limits (vLLM goodput: within every one). */
  private checkSlo(l: SloLimits, ttftMs: number, maxGap: number, tpotMs: number, e2elMs: number): void {
    const c = this.slo;
    let all = true;
    if (l.ttft !== undefined) {
      if (ttftMs <= l.ttft) c.ttft++;
      else all = false;
    }
    if (l.itl !== undefined) {
      if (maxGap <= l.itl) c.itl++;
      else all = false;
    }
    if (l.tpot !== undefined) {
      if (tpotMs <= l.tpot) c.tpot++;
      else all = false;
    }
    if (l.e2el !== undefined) {
      if (e2elMs <= l.e2el) c.e2el++;
      else all = false;
    }
    if (all) c.met++;
  }

  failed(server: number, outcome: FailureOutcome): void {
    const s = this.servers[server]!;
    s.inFlight--;
    this.inFlight--;
    s.requests++;
    s.failures[outcome.kind]++;
    this.sample(outcome.kind, failureMessage(outcome), 1);
  }

  merge(other: Tally): void {
    for (const [i, s] of other.servers.entries()) this.servers[i]!.merge(s);
    this.ttft.merge(other.ttft);
    this.itl.merge(other.itl);
    this.tpot.merge(other.tpot);
    this.inputLengths.merge(other.inputLengths);
    this.outputLengths.merge(other.outputLengths);
    this.serverTtft.merge(other.serverTtft);
    this.serverPrompt.merge(other.serverPrompt);
    this.serverTpot.merge(other.serverTpot);
    addMoments(this.serverTps, other.serverTps);
    addTokens(this.tokens, other.tokens);
    addSloCounts(this.slo, other.slo);
    this.turns.merge(other.turns);
    this.maxInFlight = Math.max(this.maxInFlight, other.maxInFlight);
    for (const [kind, messages] of other.samples) for (const [msg, n] of messages) this.sample(kind, msg, n);
  }

  /** All servers' successful latencies in one histogram (microseconds); read it, do not change it. */
  latency(): Histogram {
    if (this.servers.length === 1) return this.servers[0]!.latency;
    const h = createHistogram();
    for (const s of this.servers) h.add(s.latency);
    return h;
  }

  serialize(): SerializedTally {
    return {
      maxInFlight: this.maxInFlight,
      ttft: this.ttft.serialize(),
      itl: this.itl.serialize(),
      tpot: this.tpot.serialize(),
      inputLengths: this.inputLengths.serialize(),
      outputLengths: this.outputLengths.serialize(),
      serverTtft: this.serverTtft.serialize(),
      serverPrompt: this.serverPrompt.serialize(),
      serverTpot: this.serverTpot.serialize(),
      serverTps: { ...this.serverTps },
      tokens: { ...this.tokens },
      slo: { ...this.slo },
      turns: this.turns.serialize(),
      servers: this.servers.map((s) => ({
        requests: s.requests,
        successes: s.successes,
        failures: { ...s.failures },
        latency: encodeHistogram(s.latency),
        moments: { ...s.moments },
        maxInFlight: s.maxInFlight,
        queue: s.queue.serialize(),
        waited: s.waited,
        busyMs: s.busyMs,
        ejections: s.ejections,
        reconnects: s.reconnects,
        noReuse: s.noReuse,
      })),
      samples: this.samplesUpTo(),
    };
  }

  static deserialize(data: SerializedTally): Tally {
    const t = new Tally(data.servers.length);
    t.maxInFlight = data.maxInFlight;
    t.ttft.load(data.ttft);
    t.itl.load(data.itl);
    t.tpot.load(data.tpot);
    t.inputLengths.load(data.inputLengths);
    t.outputLengths.load(data.outputLengths);
    t.serverTtft.load(data.serverTtft);
    t.serverPrompt.load(data.serverPrompt);
    t.serverTpot.load(data.serverTpot);
    Object.assign(t.serverTps, data.serverTps);
    Object.assign(t.tokens, data.tokens);
    Object.assign(t.slo, data.slo);
    t.turns.merge(TurnTally.deserialize(data.turns));
    data.servers.forEach((d, i) => {
      const s = t.servers[i]!;
      s.requests = d.requests;
      s.successes = d.successes;
      Object.assign(s.failures, d.failures);
      s.latency = decodeHistogram(d.latency);
      Object.assign(s.moments, d.moments);
      s.maxInFlight = d.maxInFlight;
      s.queue.load(d.queue);
      s.waited = d.waited;
      s.busyMs = d.busyMs;
      s.ejections = d.ejections;
      s.reconnects = d.reconnects;
      s.noReuse = d.noReuse;
    });
    for (const sample of data.samples) t.sample(sample.kind, sample.message, sample.count);
    return t;
  }

  /** Up to five messages per kind: the most frequent, ties by message, so merges of any order agree. */
  failureSamples(): FailureSample[] {
    return this.samplesUpTo(MAX_SAMPLES_PER_KIND);
  }

  /** Every message counted, for the merge in another thread; or the `limit` most frequent per kind. */
  private samplesUpTo(limit = Infinity): FailureSample[] {
    const out: FailureSample[] = [];
    for (const kind of FAILURE_KINDS) {
      let ranked = [...(this.samples.get(kind) ?? [])];
      if (limit !== Infinity)
        ranked = ranked.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, limit);
      for (const [message, count] of ranked) out.push({ kind, message, count });
    }
    return out;
  }

  private sample(kind: FailureKind, message: string, n: number): void {
    let messages = this.samples.get(kind);
    if (!messages) {
      messages = new Map();
      this.samples.set(kind, messages);
    }
    const current = messages.get(message);
    if (current !== undefined) messages.set(message, current + n);
    else if (messages.size < TRACKED_PER_KIND) messages.set(message, n);
  }
}

function addSample(m: Moments, v: number): void {
  m.count++;
  m.sum += v;
  m.sumSquares += v * v;
  if (v < m.min) m.min = v;
  if (v > m.max) m.max = v;
}

function addTokens(into: TokenTotals, from: Readonly<TokenTotals>): void {
  into.input += from.input;
  into.output += from.output;
  into.cached += from.cached;
  into.server += from.server;
  into.counted += from.counted;
  into.estimated += from.estimated;
  into.none += from.none;
  into.cacheReported += from.cacheReported;
}

function addSloCounts(into: SloCounts, from: Readonly<SloCounts>): void {
  into.met += from.met;
  into.ttft += from.ttft;
  into.itl += from.itl;
  into.tpot += from.tpot;
  into.e2el += from.e2el;
}

export function failureMessage(o: FailureOutcome): string {
  switch (o.kind) {
    case 'http_error':
      // The server's own back-off request, when it made one: the first thing to read after a 429/503.
      return `HTTP ${o.status}${o.retryAfterMs === undefined ? '' : ` (Retry-After ${formatSeconds(o.retryAfterMs)})`}${o.message ? `: ${o.message}` : ''}`;
    case 'timeout':
      return `${o.phase} timeout${o.message ? `: ${o.message}` : ''}`;
    case 'connection_error':
      return [o.code, o.message].filter(Boolean).join(': ') || 'connection error';
    case 'protocol_error':
      return o.message;
    case 'aborted':
      return o.message ?? 'aborted';
  }
}

const formatSeconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;
