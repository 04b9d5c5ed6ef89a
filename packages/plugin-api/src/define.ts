import { z } from 'zod';
import type { Outcome } from './outcome.js';
import type { ExperimentResult, RunResults } from './results.js';
import type { Awaitable, BenchRequest, Clock, Logger, MetricReadings, ServerTarget, TextSink } from './types.js';

export type PluginKind = 'backend' | 'strategy' | 'reporter' | 'collector';
export const PLUGIN_KINDS: readonly PluginKind[] = ['backend', 'strategy', 'reporter', 'collector'];

/** What every plugin gets from core. Plugins never see the runner's mutable state. */
export interface PluginContext {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Directory of the scenario file, for resolving relative paths in options. */
  readonly scenarioDir: string;
  /** The scenario's seed (default 1): derive any randomness from it so runs repeat. */
  readonly seed: number;
}

// ---------------------------------------------------------------- backends

export interface BackendContext extends PluginContext {
  /** The server this backend instance talks to. One instance is created per server (and per thread). */
  readonly server: ServerTarget;
}

export interface Backend {
  setup?(): Awaitable<void>;
  /**
   * Send one request. Resolve with an `Outcome` for anything the server did (errors included);
   * reject only for bugs: core maps a rejection to `protocol_error`/`connection_error`/`aborted`.
   * A backend whose client is callback-based may make it with `sendFrom(dispatch)`.
   */
  send(request: BenchRequest, signal: AbortSignal): Promise<Outcome>;
  /**
   * Brings the server to the starting state every load point should share (e.g. an empty prefix
   * cache), so the experiments compared do not inherit each other's state. Called before each load
   * point (an experiment, or each point of a sweep), before its warmup, on one instance per server
   * in the main thread. Report a server that refuses with `ctx.logger.warn`; a throw is a failure
   * of the run (exit code 3), though the point is still measured.
   */
  prepare?(): Awaitable<void>;
  /**
   * Server-side readings (counters, gauges) taken at experiment start and end, and sampled during it.
   * The plugin's `derivedMetrics` say which results metrics core derives from them (e.g. a
   * prefix-cache hit rate from two counters' deltas).
   */
  serverMetrics?(): Awaitable<MetricReadings>;
  /**
   * What the server says about itself, asked once per server in the main thread after `setup`,
   * before any load: the URL the backend really sends to, its model when the scenario names none,
   * and how many requests it runs at once (e.g. llama.cpp's slots) as the default
   * `max_concurrent_requests`. The scenario's own model and cap win.
   */
  serverInfo?(): Awaitable<ServerInfo>;
  /**
   * How many tokens the server's own tokenizer makes of `text` (no special tokens added), e.g. from
   * its `POST /tokenize`; undefined when the server has no tokenizer to ask. Called in the main
   * thread after `setup`, before any load, to build prompts of exact lengths (never per request).
   */
  tokenize?(text: string): Promise<number | undefined>;
  teardown?(): Awaitable<void>;
}

/** What a backend learnt from its server (`Backend.serverInfo`). */
export interface ServerInfo {
  /** The origin the backend actually sends to (its `base_url`, the server's url, or its default), for reports. */
  readonly url?: string;
  readonly model?: string;
  /** Requests the server runs at once; used as max_concurrent_requests when the scenario sets none. */
  readonly maxConcurrentRequests?: number;
}

/**
 * The results metrics a backend can fill from its server's readings: each is a summary field of the
 * results format that reports already show (label and unit in `HEADLINE_METRICS`).
 */
export const DERIVABLE_METRICS = ['prefix_cache_hit_rate'] as const;
export type DerivableMetric = (typeof DERIVABLE_METRICS)[number];

/**
 * A metric a backend derives from its server's counter readings (`Backend.serverMetrics`) over a run.
 * Core takes each reading in `from` at the start and end of every run, sums each one's delta over the
 * servers that report all of them (and over runs, for the summary), and calls `derive` with the sums.
 * Backends declaring the same `key` pool their servers' deltas by reading name.
 */
export interface DerivedMetric {
  readonly key: DerivableMetric;
  /** Counter readings whose deltas the formula takes. */
  readonly from: readonly string[];
  /** The metric from the summed deltas (keyed by reading name); undefined when they tell nothing (no queries, say). */
  derive(deltas: Readonly<Record<string, number>>): number | undefined;
}

/** A derived metric that is one counter's delta over another's, e.g. cached prompt tokens over all looked up. */
export function deltaRatio(key: DerivableMetric, numerator: string, denominator: string): DerivedMetric {
  return Object.freeze({
    key,
    from: Object.freeze([numerator, denominator]),
    derive: (d: Readonly<Record<string, number>>) => (d[denominator]! > 0 ? d[numerator]! / d[denominator]! : undefined),
  });
}

// ---------------------------------------------------------------- strategies

/**
 * One point of load, executed exactly by the engine. Strategies are declarative so the engine can
 * enforce them globally (across worker threads) without a round trip per request.
 */
export interface LoadPoint {
  /** Shown in reports, e.g. `concurrency=20`. Defaults to the experiment name. */
  readonly label?: string;
  /** Most requests in flight at once, across every thread and server. */
  readonly concurrency: number;
  /**
   * When true, requests go in waves of `concurrency`: wave k+1 starts only after every request of
   * wave k has ended (the seed's `asyncio.gather` batches).
   */
  readonly barrier?: boolean;
  /** Overrides the workload's request count for this point. */
  readonly requests?: number;
  /** Uses only the first N servers (for worker-scaling sweeps). */
  readonly servers?: number;
  /**
   * Open loop: start requests at this many per second whatever the responses do (at most
   * `concurrency` in flight). Latency then counts from each request's intended start time, so a
   * server that falls behind shows its queueing in the numbers (no coordinated omission).
   */
  readonly rate?: number;
  /**
   * Spacing of paced starts: evenly spaced (default), a Poisson process, or gamma-distributed gaps
   * with shape `burstiness` (vLLM's `--burstiness`). Random gaps are seeded and scaled so the
   * point's `requests` gaps add up to exactly `requests / rate` seconds (docs/metrics.md#arrivals).
   */
  readonly arrivals?: Arrivals;
  /**
   * Gamma arrivals only (default 1): the gaps' shape k, with scale 1 / (rate × k). 1 is a Poisson
   * process; below 1 is burstier (coefficient of variation 1 / sqrt(k)), above 1 more even.
   */
  readonly burstiness?: number;
  /**
   * How a paced point of a sweep is judged saturated: its successful throughput falls short of
   * `rate` by more than `tolerance` (a fraction), or, when `latencyFactor` is set, its latency p95
   * exceeds `latencyFactor` × the lowest p95 of the sweep's earlier points. Default tolerance 0.05.
   */
  readonly saturation?: SaturationRule;
  /**
   * Parameters reported with the point's results (e.g. `{ concurrency: 20, servers: 3 }`): the
   * strategy's own, in its own words (`{ batch_size: 50 }`). Without them core reports the point's
   * `concurrency` (and `rate` when paced).
   */
  readonly params?: Readonly<Record<string, number | string>>;
}

export type Arrivals = 'uniform' | 'poisson' | 'gamma';
export const ARRIVALS: readonly Arrivals[] = ['uniform', 'poisson', 'gamma'];

export interface SaturationRule {
  readonly tolerance: number;
  readonly latencyFactor?: number;
}
export const DEFAULT_SATURATION: SaturationRule = { tolerance: 0.05 };

export interface StrategyInput {
  /** Requests per point, from the workload (after experiment overrides). */
  readonly requests: number;
  /** Servers available to the experiment. */
  readonly servers: number;
  /** Each server's max_concurrent_requests, in order (Infinity when unlimited). */
  readonly caps: readonly number[];
}

export interface Strategy {
  /** The points to run, in order. One point for simple strategies; a sweep returns many. */
  points(input: StrategyInput): readonly LoadPoint[];
  /**
   * Called after each point with every point of this experiment measured so far; returning false
   * skips the remaining points (early stop, e.g. when throughput stops growing).
   */
  shouldContinue?(done: readonly ExperimentResult[]): boolean;
  /**
   * Plans points from what earlier ones measured (guidellm's sweep: rates between the measured
   * synchronous and maximum throughput). Called when every point planned so far has run, with every
   * point of this experiment measured so far; the points returned run next, and `next` is asked
   * again after them. Return undefined or [] to end the experiment. An experiment whose strategy
   * has `next` is a sweep even if `points` returned one point.
   */
  next?(done: readonly ExperimentResult[]): readonly LoadPoint[] | undefined;
}

// ---------------------------------------------------------------- reporters

export interface ReporterContext extends PluginContext {
  /** Console-like output (stdout by default). */
  readonly out: TextSink;
  /**
   * Resolves where a report file goes: expands `{scenario}` and `{timestamp}` and, when the user
   * passed `--out DIR`, puts the file under DIR. Returns an absolute path.
   */
  resolveOutput(template: string): string;
  /** Tell core a file was written, so the CLI can list it. */
  fileWritten(path: string): void;
}

export interface RunStartInfo {
  readonly scenario: string;
  readonly description?: string;
  readonly experiments: readonly string[];
  readonly runs: number;
  /** The scenario's labels (with the project config's defaults); empty when it has none. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ProgressSnapshot {
  readonly experiment: string;
  readonly run: number;
  readonly done: number;
  readonly total: number;
  readonly failures: number;
  readonly elapsedMs: number;
  /** Median latency of successful requests so far, when any succeeded. */
  readonly latencyP50Ms?: number | undefined;
}

export interface Reporter {
  /**
   * The files this reporter will write (paths from `ctx.resolveOutput`). Core checks each can be
   * written before any load starts, so a bad path is a usage error at once, not a lost run.
   */
  outputs?(): readonly string[];
  onRunStart?(info: RunStartInfo): Awaitable<void>;
  onProgress?(progress: ProgressSnapshot): void;
  onExperimentEnd?(experiment: Readonly<ExperimentResult>): Awaitable<void>;
  onRunEnd?(results: Readonly<RunResults>): Awaitable<void>;
}

// ---------------------------------------------------------------- collectors

export interface CollectorContext extends PluginContext {}

/** Samples readings (GPU memory, utilization...) while experiments run. */
export interface Collector {
  start?(): Awaitable<void>;
  sample(): Awaitable<MetricReadings>;
  stop?(): Awaitable<void>;
}

// ---------------------------------------------------------------- define*

// biome-ignore lint/complexity/noBannedTypes: zod spells the shape of an object with no keys {}
type EmptyOptions = z.ZodObject<{}, z.core.$strict>;

/**
 * Where a backend's `send` may run. `worker` (default): in the load engine's worker threads, one
 * instance per server per thread. `main`: only in the main thread, as one instance per server; for
 * backends that simulate a server in process (the mock), where per-thread copies would be different
 * servers.
 */
export type BackendPlacement = 'worker' | 'main';

interface Definition<K extends PluginKind, O extends z.ZodType, C, T> {
  readonly kind: K;
  readonly name: string;
  readonly description?: string;
  /**
   * Other names the plugin answers to where a file not written for llmbench names it, such as the
   * seed workers file's `"type": "lm_studio"`. Core looks them up among the plugins it knows
   * (installed built-ins and project-config aliases) when a name is not one of theirs.
   */
  readonly aliases?: readonly string[];
  readonly placement?: BackendPlacement;
  /** Backends only: whether it can stream (SSE) responses (default true). The contract kit skips streaming checks when false. */
  readonly streams?: boolean;
  /** Backends only: the results metrics core derives from the server's readings. */
  readonly derivedMetrics?: readonly DerivedMetric[];
  /** Validated and defaulted by core before `create`; plugin code never sees raw input. */
  readonly options: O;
  create(ctx: C, options: z.output<O>): Awaitable<T>;
}

export type BackendPlugin<O extends z.ZodType = z.ZodType> = Definition<'backend', O, BackendContext, Backend>;
export type StrategyPlugin<O extends z.ZodType = z.ZodType> = Definition<'strategy', O, PluginContext, Strategy>;
export type ReporterPlugin<O extends z.ZodType = z.ZodType> = Definition<'reporter', O, ReporterContext, Reporter>;
export type CollectorPlugin<O extends z.ZodType = z.ZodType> = Definition<'collector', O, CollectorContext, Collector>;
export type AnyPlugin = BackendPlugin | StrategyPlugin | ReporterPlugin | CollectorPlugin;

export interface PluginSpec<O extends z.ZodType, C, T> {
  readonly name: string;
  readonly description?: string;
  /** Other names the plugin answers to (see `Definition.aliases`). */
  readonly aliases?: readonly string[];
  /** Backends only: see `BackendPlacement`. */
  readonly placement?: BackendPlacement;
  /** Backends only: whether it can stream responses (default true). */
  readonly streams?: boolean;
  /** Backends only: see `DerivedMetric`. */
  readonly derivedMetrics?: readonly DerivedMetric[];
  readonly options?: O;
  create(ctx: C, options: z.output<O>): Awaitable<T>;
}

function tag<K extends PluginKind, O extends z.ZodType, C, T>(kind: K, spec: PluginSpec<O, C, T>): Definition<K, O, C, T> {
  return Object.freeze({
    kind,
    name: spec.name,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...(spec.aliases === undefined ? {} : { aliases: Object.freeze([...spec.aliases]) }),
    ...(spec.placement === undefined ? {} : { placement: spec.placement }),
    ...(spec.streams === undefined ? {} : { streams: spec.streams }),
    ...(spec.derivedMetrics === undefined ? {} : { derivedMetrics: Object.freeze([...spec.derivedMetrics]) }),
    // No options schema: no options. Strict, so options given anyway are an error, not silently dropped.
    options: (spec.options ?? z.strictObject({})) as O,
    create: spec.create,
  });
}

export function defineBackend<O extends z.ZodType = EmptyOptions>(
  spec: PluginSpec<O, BackendContext, Backend>,
): BackendPlugin<O> {
  return tag('backend', spec);
}

export function defineStrategy<O extends z.ZodType = EmptyOptions>(
  spec: PluginSpec<O, PluginContext, Strategy>,
): StrategyPlugin<O> {
  return tag('strategy', spec);
}

export function defineReporter<O extends z.ZodType = EmptyOptions>(
  spec: PluginSpec<O, ReporterContext, Reporter>,
): ReporterPlugin<O> {
  return tag('reporter', spec);
}

export function defineCollector<O extends z.ZodType = EmptyOptions>(
  spec: PluginSpec<O, CollectorContext, Collector>,
): CollectorPlugin<O> {
  return tag('collector', spec);
}

/** True when `value` looks like the result of a define* helper of the given kind. */
export function isPlugin(value: unknown, kind?: PluginKind): value is AnyPlugin {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<AnyPlugin>;
  return (
    typeof v.name === 'string' &&
    typeof v.create === 'function' &&
    typeof (v.options as { safeParse?: unknown } | undefined)?.safeParse === 'function' &&
    (kind === undefined ? PLUGIN_KINDS.includes(v.kind as PluginKind) : v.kind === kind)
  );
}
