// Over 400 lines on purpose: the experiment loop (setup, points, runs, collectors, results) reads top
// to bottom as one procedure; derived metrics, thresholds and requests are in their own modules.
import { writeFile } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { orAbort } from '../abort.js';
import {
  ARRIVALS,
  checkWritable,
  DEFAULT_SATURATION,
  ErrorCodes,
  HEADLINE_METRICS,
  LlmbenchError,
  isLlmbenchError,
  meanInterval,
  RESULTS_SCHEMA_VERSION,
  type Clock,
  type Collector,
  type ExperimentResult,
  type LoadPoint,
  type Logger,
  type MetricSummary,
  type PluginContext,
  type ProgressSnapshot,
  type Reporter,
  type RunResults,
  type RunStartInfo,
  type RunStats,
  type Saturation,
  type ServerInfo,
  type TextSink,
} from '@llmbench/plugin-api';
import { RUN_DEFAULTS } from '../defaults.js';
import { describeEnvironment } from '../environment.js';
import { round, summarizeTally } from '../metrics/stats.js';
import { Tally } from '../metrics/tally.js';
import type { LoadedScenario, ResolvedExperiment, ResolvedServer } from '../scenario/load.js';
import { redactSecrets } from '../scenario/env.js';
import { defaultThreads, guard, LoadEngine, type EnginePoint, type EngineResult } from '../engine/engine.js';
import { serverTarget } from '../engine/protocol.js';
import { percentileMs } from '../metrics/histogram.js';
import { monotonicClock } from '../engine/clock.js';
import { evaluateThresholds } from './thresholds.js';
import { withPlannedJob } from '../jobs/directory.js';
import { prepareWorkload } from '../workload/prepare.js';
import { lengthsOf, turnsOf } from '../workload/report.js';
import { requestsOf } from '../workload/conversations.js';
import { addDeltas, derivedDeltas, derivedStats, type DerivedDeltas } from './derived.js';

export interface RunScenarioOptions {
  /** llmbench version, recorded in results. */
  readonly version: string;
  /** Put every report file under this directory. */
  readonly outDir?: string;
  /** Base for relative output paths (default: process.cwd()). */
  readonly cwd?: string;
  readonly out?: TextSink;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Wall-clock time, for timestamps only. */
  readonly now?: () => Date;
  /** Aborting stops the run; what was measured is kept and reported. */
  readonly signal?: AbortSignal;
  /** How often reporters get progress snapshots (ms, default `RUN_DEFAULTS.progressIntervalMs`). */
  readonly progressIntervalMs?: number;
  /** Worker threads sending requests (default: `defaultThreads()`). */
  readonly threads?: number;
  /** Append one JSON line per measured request to this file. */
  readonly rawPath?: string;
  /** How often server readings are sampled during a run (ms, default `RUN_DEFAULTS.serverSampleIntervalMs`). */
  readonly serverSampleIntervalMs?: number;
}

export interface RunOutcome {
  readonly results: RunResults;
  /** Report files written, in order. */
  readonly files: readonly string[];
  /** Runtime and reporter failures; the results are still complete for what ran. */
  readonly errors: readonly LlmbenchError[];
}

export const systemClock: Clock = monotonicClock;

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Runs every experiment of a loaded scenario and hands the results to its reporters. Never throws
 * for what servers do: failures are outcomes. A plugin that throws stops the run with status
 * `failed`, and reporters still get everything measured before that.
 */
export async function runScenario(scenario: LoadedScenario, options: RunScenarioOptions): Promise<RunOutcome> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  const signal = options.signal ?? new AbortController().signal;
  const out: TextSink = options.out ?? { write: (t) => void process.stdout.write(t), isTTY: Boolean(process.stdout.isTTY) };
  const cwd = options.cwd ?? process.cwd();
  const startedAt = now();
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const files: string[] = [];
  const errors: LlmbenchError[] = [];
  const base: PluginContext = { logger, clock, scenarioDir: scenario.dir, seed: scenario.seed };

  const reporters: { name: string; reporter: Reporter }[] = [];
  for (const r of scenario.reporters) {
    const reporter = await guard(`reporter ${r.resolved.ref}`, ErrorCodes.PLUGIN_FAILED, () =>
      r.resolved.plugin.create(
        {
          ...base,
          out,
          resolveOutput(template) {
            const expanded = template.replaceAll('{scenario}', scenario.name).replaceAll('{timestamp}', stamp);
            if (options.outDir !== undefined) return resolve(cwd, options.outDir, basename(expanded));
            return isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
          },
          fileWritten: (path) => void files.push(path),
        },
        r.options,
      ),
    );
    reporters.push({ name: r.resolved.ref, reporter });
  }
  // Progress snapshots are computed only when a reporter takes them.
  const progress = reporters.some(({ reporter }) => reporter.onProgress !== undefined);
  const notify = async (hook: string, call: (r: Reporter) => unknown): Promise<void> => {
    for (const { name, reporter } of reporters) {
      try {
        await call(reporter);
      } catch (error) {
        errors.push(
          new LlmbenchError(ErrorCodes.REPORT_FAILED, `reporter ${name} failed in ${hook}: ${(error as Error).message}`, {
            cause: error,
          }),
        );
      }
    }
  };

  const collectors: { name: string; collector: Collector; intervalMs: number }[] = [];
  for (const c of scenario.collectors) {
    const collector = await guard(`collector ${c.resolved.ref}`, ErrorCodes.PLUGIN_FAILED, () =>
      c.resolved.plugin.create(base, c.options),
    );
    // Results are keyed by name; a collector used twice gets "#2", "#3"... so no readings are lost.
    const uses = collectors.filter((x) => x.name === c.resolved.ref || x.name.startsWith(`${c.resolved.ref}#`)).length;
    collectors.push({ name: uses ? `${c.resolved.ref}#${uses + 1}` : c.resolved.ref, collector, intervalMs: c.intervalMs });
  }

  const startInfo = redactSecrets(
    {
      scenario: scenario.name,
      ...(scenario.description === undefined ? {} : { description: scenario.description }),
      experiments: scenario.experiments.map((e) => e.name),
      runs: Math.max(...scenario.experiments.map((e) => e.runs)),
      labels: scenario.labels,
    },
    scenario.secrets,
  ) as RunStartInfo;
  await notify('onRunStart', (r) => r.onRunStart?.(startInfo));

  const experiments: ExperimentResult[] = [];
  let status: RunResults['status'] = 'completed';
  let failure: string | undefined;
  const engine = new LoadEngine({
    threads: options.threads ?? defaultThreads(),
    logger,
    progressIntervalMs: Math.min(
      RUN_DEFAULTS.workerProgressIntervalMs,
      options.progressIntervalMs ?? RUN_DEFAULTS.workerProgressIntervalMs,
    ),
  });
  // Every file the run will write is checked before any load: a bad path is a usage error now, not
  // a hang or a lost run at the end.
  for (const { name, reporter } of reporters)
    for (const path of reporter.outputs?.() ?? []) await checkWritable(path, `reporter ${name} output`);
  if (options.rawPath !== undefined) {
    await checkWritable(options.rawPath, '--raw');
    await writeFile(options.rawPath, '');
  }
  let known: readonly ResolvedServer[] = scenario.servers;
  let abortedBy: RunResults['aborted_by'];
  const abortOn = scenario.thresholds.filter((t) => t.abort_on_fail);
  try {
    // What servers are asked before any load (setup, serverInfo, tokenizers) may never answer: a
    // signal stops the waiting at once, and the run ends interrupted.
    const learnt = await orAbort(signal, askServers(scenario.servers, base, logger));
    known = learnt.servers;
    for (const listed of scenario.experiments.map(learnt.apply)) {
      const withJob = await orAbort(signal, withPlannedJob(listed, stamp, logger));
      // Synthetic prompts and recorded lengths need the server's tokenizer: built now, before any load.
      const experiment = withJob.servers[0]
        ? { ...withJob, workload: await orAbort(signal, prepareWorkload(withJob.workload, withJob.servers[0], base, logger)) }
        : withJob;
      const strategy = await guard(`strategy ${experiment.strategy.resolved.ref}`, ErrorCodes.PLUGIN_FAILED, () =>
        experiment.strategy.resolved.plugin.create(base, experiment.strategy.options),
      );
      const planned = await guard(`strategy ${experiment.strategy.resolved.ref}`, ErrorCodes.PLUGIN_FAILED, () =>
        strategy.points({
          requests: experiment.workload.requests,
          servers: experiment.servers.length,
          caps: experiment.servers.map((s) => s.maxConcurrentRequests),
        }),
      );
      const queue: LoadPoint[] = [...checkPoints(experiment, planned)];
      const isSweep = queue.length > 1 || strategy.next !== undefined;
      const done: ExperimentResult[] = [];
      while (queue.length > 0 && !signal.aborted) {
        const point = queue.shift()!;
        const measured = await runPoint(experiment, point, isSweep, {
          engine,
          base,
          clock,
          now,
          signal,
          collectors,
          options,
          reporters: notify,
          progress,
          errors,
        });
        const result = redactSecrets(isSweep ? withSweep(measured, done, point) : measured, scenario.secrets) as ExperimentResult;
        done.push(result);
        experiments.push(result);
        await notify('onExperimentEnd', (r) => r.onExperimentEnd?.(result));
        const broken = evaluateThresholds(abortOn, [result]).find((t) => !t.passed);
        if (broken) {
          abortedBy = { metric: broken.metric, experiment: broken.experiment, actual: broken.actual };
          logger.warn(
            `threshold ${broken.metric} failed in ${broken.experiment} (actual ${broken.actual ?? 'none'}) with abort_on_fail: the remaining experiments are not run`,
          );
          break;
        }
        if (queue.length === 0 && strategy.next && !signal.aborted) {
          const more = await guard(`strategy ${experiment.strategy.resolved.ref}`, ErrorCodes.PLUGIN_FAILED, () =>
            strategy.next!(done),
          );
          if (more && more.length > 0) queue.push(...checkPoints(experiment, more, done.length));
        }
        if (queue.length === 0) break;
        const keepGoing = await guard(
          `strategy ${experiment.strategy.resolved.ref}`,
          ErrorCodes.PLUGIN_FAILED,
          () => strategy.shouldContinue?.(done) ?? true,
        );
        if (!keepGoing) {
          logger.info(
            `${experiment.name}: stopped the sweep after ${done.length} of ${done.length + queue.length} points (the strategy's early stop)`,
          );
          break;
        }
      }
      if (signal.aborted || abortedBy) break;
    }
    if (signal.aborted) status = 'interrupted';
  } catch (error) {
    if (signal.aborted) status = 'interrupted';
    else {
      status = 'failed';
      const err = isLlmbenchError(error)
        ? error
        : new LlmbenchError(ErrorCodes.INTERNAL, (error as Error).message, { cause: error });
      failure = err.message;
      errors.push(err);
    }
  } finally {
    await engine.close();
  }

  // A run in which an experiment got no answer at all cannot answer its question: it fails, with
  // everything measured still reported.
  const empty = experiments.filter((e) => e.summary.requests > 0 && e.summary.successes === 0);
  if (empty.length > 0) {
    const what = empty.map((e) => `${e.name} (${describeFailures(e.summary.failures)})`).join('; ');
    const err = new LlmbenchError(
      ErrorCodes.NO_SUCCESS,
      `no request succeeded in experiment${empty.length === 1 ? '' : 's'} ${what}`,
      {
        hint: 'check that the server is up and answers this workload (see the failure messages in the report)',
      },
    );
    errors.push(err);
    if (status === 'completed') {
      status = 'failed';
      failure = err.message;
    }
  }
  const thresholds = evaluateThresholds(scenario.thresholds, experiments);
  const saturation = [...new Set(experiments.map((e) => e.experiment))].flatMap(
    (name) =>
      saturationOf(
        name,
        experiments.filter((e) => e.experiment === name),
      ) ?? [],
  );
  const results = redactSecrets(
    {
      schema_version: RESULTS_SCHEMA_VERSION,
      llmbench_version: options.version,
      scenario: {
        name: scenario.name,
        ...(scenario.description === undefined ? {} : { description: scenario.description }),
        file: scenario.file,
        definition: scenario.definition,
      },
      environment: describeEnvironment(),
      servers: known.map((s) => ({
        id: s.id,
        backend: s.backend.resolved.ref,
        ...(s.url === undefined ? {} : { url: s.url }),
        ...(s.model === undefined ? {} : { model: s.model }),
        max_concurrent_requests: Number.isFinite(s.maxConcurrentRequests) ? s.maxConcurrentRequests : null,
      })),
      started_at: startedAt.toISOString(),
      finished_at: now().toISOString(),
      status,
      ...(failure === undefined ? {} : { error: failure }),
      experiments,
      ...(Object.keys(scenario.labels).length > 0 ? { labels: scenario.labels } : {}),
      ...(saturation.length > 0 ? { saturation } : {}),
      thresholds,
      ...(abortedBy ? { aborted_by: abortedBy } : {}),
      passed: thresholds.every((t) => t.passed),
    },
    scenario.secrets,
  ) as RunResults;
  await notify('onRunEnd', (r) => r.onRunEnd?.(results));
  return { results, files, errors };
}

/**
 * Asks each server's backend what the server says about itself (`Backend.serverInfo`), once, before
 * any load: its model when the scenario names none, and its capacity (e.g. llama.cpp's slots) as
 * max_concurrent_requests when the scenario sets none. Returns the servers as they will be driven.
 */
async function askServers(
  servers: readonly ResolvedServer[],
  base: PluginContext,
  logger: Logger,
): Promise<{ servers: ResolvedServer[]; apply: (e: ResolvedExperiment) => ResolvedExperiment }> {
  const out: ResolvedServer[] = [];
  for (const server of servers) {
    const plugin = server.backend.resolved.plugin;
    const backend = await guard(`backend ${server.backend.resolved.ref} (${server.id})`, ErrorCodes.PLUGIN_FAILED, () =>
      plugin.create({ ...base, server: serverTarget({ ...server, cap: server.maxConcurrentRequests }) }, server.backend.options),
    );
    let info: ServerInfo = {};
    try {
      if (backend.serverInfo) {
        await guard(`server ${server.id} setup`, ErrorCodes.BACKEND_UNREACHABLE, () => backend.setup?.());
        info = await guard(`server ${server.id} serverInfo`, ErrorCodes.PLUGIN_FAILED, () => backend.serverInfo!());
      }
    } finally {
      await backend.teardown?.();
    }
    const cap =
      Number.isFinite(server.maxConcurrentRequests) || info.maxConcurrentRequests === undefined
        ? server.maxConcurrentRequests
        : info.maxConcurrentRequests;
    const model = server.model ?? info.model;
    // The URL the backend really sends to, for reports; one with userinfo stays as written (the
    // backend needs it for basic auth; outputs redact its password).
    const url =
      server.url !== undefined && /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(server.url) ? server.url : (info.url ?? server.url);
    if (cap !== server.maxConcurrentRequests)
      logger.info(
        `${server.id}: the server runs ${cap} requests at once; using max_concurrent_requests ${cap} (set it in the scenario to choose another)`,
      );
    const same = cap === server.maxConcurrentRequests && model === server.model && url === server.url;
    out.push(
      same
        ? server
        : {
            ...server,
            maxConcurrentRequests: cap,
            ...(model === undefined ? {} : { model }),
            ...(url === undefined ? {} : { url }),
          },
    );
  }
  const byId = new Map(out.map((s) => [s.id, s]));
  return { servers: out, apply: (e) => ({ ...e, servers: e.servers.map((s) => byId.get(s.id) ?? s) }) };
}

function describeFailures(f: RunStats['failures']): string {
  return (
    (Object.entries(f) as [string, number][])
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ') || 'no requests'
  );
}

interface PointContext {
  readonly engine: LoadEngine;
  readonly base: PluginContext;
  readonly clock: Clock;
  readonly now: () => Date;
  readonly signal: AbortSignal;
  readonly collectors: readonly { name: string; collector: Collector; intervalMs: number }[];
  readonly options: RunScenarioOptions;
  readonly reporters: (hook: string, call: (r: Reporter) => unknown) => Promise<void>;
  /** Whether a reporter takes progress snapshots; if none does, the run computes none. */
  readonly progress: boolean;
  /** Problems that do not stop the run (a failing collector); they make the exit code 3. */
  readonly errors: LlmbenchError[];
}

async function runPoint(
  experiment: ResolvedExperiment,
  point: LoadPoint,
  isSweep: boolean,
  ctx: PointContext,
): Promise<ExperimentResult> {
  const servers = point.servers === undefined ? experiment.servers : experiment.servers.slice(0, point.servers);
  const requests = point.requests ?? experiment.workload.requests;
  // Multi-turn conversations: `requests` counts conversations, each sending its turns.
  const sent = requestsOf(experiment.workload, requests);
  const label = point.label ?? (isSweep ? `concurrency=${point.concurrency}` : experiment.name);
  const name = isSweep ? `${experiment.name}/${label}` : experiment.name;
  const barrier = point.barrier ?? false;
  if (barrier && experiment.workload.conversations) {
    throw new LlmbenchError(
      ErrorCodes.CONFIG_INVALID,
      `experiment ${experiment.name}: multi-turn conversations cannot run in barrier batches (strategy ${experiment.strategy.resolved.ref}): a batch holds one request per slot, a conversation several in turn`,
      {
        hint: 'use a semaphore or rate strategy with sharegpt multi_turn, or drop multi_turn',
      },
    );
  }
  const enginePoint: EnginePoint = {
    concurrency: point.concurrency,
    barrier,
    requests,
    ...(point.rate === undefined ? {} : { rate: point.rate, arrivals: point.arrivals ?? 'uniform' }),
    ...(point.rate !== undefined && point.arrivals === 'gamma' ? { burstiness: point.burstiness ?? 1 } : {}),
  };

  const session = await ctx.engine.open({
    servers,
    workload: experiment.workload,
    base: ctx.base,
    experiment: name,
    balancer: experiment.balancer,
    ...(experiment.slo ? { slo: experiment.slo.limits } : {}),
  });
  const summaryOptions = { percentiles: experiment.percentiles, ...(experiment.slo ? { slo: experiment.slo } : {}) };
  const runs: RunStats[] = [];
  const pooled = { tally: new Tally(servers.length), wallMs: 0, batches: 0, idleSlotMs: 0, derived: new Map() as DerivedDeltas };
  let partial = false;
  try {
    try {
      await session.prepare();
    } catch (error) {
      // The point is still measured; the run says something was not as asked (exit code 3).
      ctx.errors.push(
        new LlmbenchError(ErrorCodes.PLUGIN_FAILED, `experiment ${name}: ${(error as Error).message}`, { cause: error }),
      );
    }
    if (experiment.workload.warmup > 0) {
      await session.run({
        point: { ...enginePoint, requests: experiment.workload.warmup },
        record: false,
        signal: ctx.signal,
        run: 0,
        progress: false,
      });
    }
    for (let run = 1; run <= experiment.runs && !ctx.signal.aborted; run++) {
      const startedAt = ctx.now().toISOString();
      // Server readings (vLLM KV-cache usage, queue depth...) are sampled like collectors: the first
      // samples, taken before the load starts, and the last, taken after it, are the run's start and end.
      const sampling = await startSampling([
        ...ctx.collectors,
        ...session.serverSamplers(ctx.options.serverSampleIntervalMs ?? RUN_DEFAULTS.serverSampleIntervalMs),
      ]);
      const t0 = ctx.clock.now();
      const ticker = !ctx.progress
        ? undefined
        : setInterval(() => {
            const live = session.progress();
            if (!live) return;
            const snapshot: ProgressSnapshot = {
              experiment: name,
              run,
              done: live.done,
              total: sent,
              failures: live.failures,
              elapsedMs: ctx.clock.now() - t0,
              ...(live.latency.totalCount > 0 ? { latencyP50Ms: percentileMs(live.latency, 50) } : {}),
            };
            void ctx.reporters('onProgress', (r) => r.onProgress?.(snapshot));
          }, ctx.options.progressIntervalMs ?? RUN_DEFAULTS.progressIntervalMs);
      let result: EngineResult;
      try {
        result = await session.run({
          point: enginePoint,
          record: true,
          signal: ctx.signal,
          run,
          progress: ctx.progress,
          ...(ctx.options.rawPath === undefined ? {} : { rawPath: ctx.options.rawPath }),
        });
      } finally {
        clearInterval(ticker);
      }
      // Stopped while this run was going: what it measured is kept, and said to be partial.
      if (ctx.signal.aborted) partial = true;
      // A collector that fails is reported (exit code 3), but the run's measurements are kept.
      const { readings: collected, errors: samplingErrors } = await sampling.stop();
      for (const e of samplingErrors)
        ctx.errors.push(new LlmbenchError(e.code, `experiment ${name}, run ${run}: ${e.message}`, { cause: e.cause }));
      const series = servers.map((s) => collected[`server:${s.id}`] ?? {});
      const before = series.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.first])));
      const after = series.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.last])));
      const stats = summarizeTally(result.tally, servers, result.wallMs, {
        ...summaryOptions,
        ...(result.barrier ? { barrier: { ...result.barrier, slots: point.concurrency } } : {}),
      });
      pooled.tally.merge(result.tally);
      pooled.wallMs += result.wallMs;
      pooled.batches += result.barrier?.batches ?? 0;
      pooled.idleSlotMs += result.barrier?.idleSlotMs ?? 0;
      const derived = derivedDeltas(servers, before, after);
      addDeltas(pooled.derived, derived);
      runs.push({
        run,
        started_at: startedAt,
        ...stats,
        ...derivedStats(derived, result.tally),
        ...lengthsOf(experiment.workload, sent, result.tally),
        ...turnsOf(result.tally),
        server_metrics: Object.fromEntries(servers.map((s, i) => [s.id, { start: before[i]!, end: after[i]! }])),
        collectors: collected,
      });
    }
  } finally {
    await session.close();
  }

  const intervals = runIntervals(runs);
  return {
    name,
    experiment: experiment.name,
    label,
    params: point.params ?? { concurrency: point.concurrency, ...(point.rate === undefined ? {} : { rate: point.rate }) },
    strategy: { name: experiment.strategy.resolved.ref, options: experiment.strategy.options as Record<string, unknown> },
    point: {
      concurrency: point.concurrency,
      barrier,
      requests,
      servers: servers.map((s) => s.id),
      ...(point.rate === undefined ? {} : { rate: point.rate, arrivals: point.arrivals ?? 'uniform' }),
      ...(point.rate !== undefined && point.arrivals === 'gamma' ? { burstiness: point.burstiness ?? 1 } : {}),
      balancer: {
        policy: experiment.balancer.policy,
        ewma_alpha: experiment.balancer.ewmaAlpha,
        ewma_decay_ms: experiment.balancer.ewmaDecayMs,
        eject_after: experiment.balancer.ejectAfter,
        backoff_ms: experiment.balancer.backoffMs,
        max_backoff_ms: experiment.balancer.maxBackoffMs,
      },
    },
    ...(partial ? { partial: true } : {}),
    runs,
    summary: {
      ...summarizeTally(pooled.tally, servers, pooled.wallMs, {
        ...summaryOptions,
        ...(barrier ? { barrier: { batches: pooled.batches, idleSlotMs: pooled.idleSlotMs, slots: point.concurrency } } : {}),
      }),
      ...derivedStats(pooled.derived, pooled.tally),
      ...lengthsOf(experiment.workload, sent, pooled.tally),
      ...turnsOf(pooled.tally),
      server_metrics: runs[runs.length - 1]?.server_metrics ?? {},
      collectors: runs[runs.length - 1]?.collectors ?? {},
    },
    ...(intervals ? { intervals } : {}),
  };
}

/** With 2 or more runs: each headline metric's mean over the runs with its 95% confidence interval. */
function runIntervals(runs: readonly RunStats[]): ExperimentResult['intervals'] {
  if (runs.length < 2) return undefined;
  const out: NonNullable<ExperimentResult['intervals']> = {};
  for (const m of HEADLINE_METRICS) {
    const values = runs.map((r) => m.read(r)).filter((v): v is number => v !== null);
    const interval = values.length === runs.length ? meanInterval(values) : null;
    if (interval)
      out[m.key] = { mean: round(interval.mean, 6), low: round(interval.low, 6), high: round(interval.high, 6), n: interval.n };
  }
  return out;
}

/**
 * A sweep point's standing against the sweep's first point: speedup = rps / rps_0, throughput per
 * server = rps / n, efficiency = rps / ((n / n_0) x rps_0) when the server count changed. A paced
 * point is also judged for saturation (docs/metrics.md#saturation): successful throughput short of
 * the offered rate by more than the tolerance, or latency p95 above latencyFactor x the lowest p95
 * of the points before it.
 */
function withSweep(result: ExperimentResult, done: readonly ExperimentResult[], point: LoadPoint): ExperimentResult {
  const baseline = done[0] ?? result;
  const rps = result.summary.requests_per_second;
  const rps0 = baseline.summary.requests_per_second;
  const n = result.point.servers.length;
  const n0 = baseline.point.servers.length;
  return {
    ...result,
    sweep: {
      index: done.length,
      baseline: baseline.name,
      servers: n,
      throughput_per_server: n > 0 ? round(rps / n) : 0,
      speedup: rps0 > 0 ? round(rps / rps0) : 0,
      efficiency: n === n0 ? null : rps0 > 0 && n0 > 0 ? round(rps / ((n / n0) * rps0)) : 0,
      ...(point.rate === undefined ? {} : judgeSaturation(result, done, point.rate, point.saturation ?? DEFAULT_SATURATION)),
    },
  };
}

function judgeSaturation(
  result: ExperimentResult,
  done: readonly ExperimentResult[],
  offered: number,
  rule: NonNullable<LoadPoint['saturation']>,
): Pick<NonNullable<ExperimentResult['sweep']>, 'offered_rps' | 'achieved_rps' | 'saturated' | 'saturation_reason'> {
  const achieved = round(result.summary.requests_per_second * result.summary.success_rate);
  const p95 = result.summary.latency_ms?.p95;
  const earlier = done.map((d) => d.summary.latency_ms?.p95).filter((v): v is number => v !== undefined && v > 0);
  const reason =
    achieved < offered * (1 - rule.tolerance)
      ? 'throughput'
      : rule.latencyFactor !== undefined &&
          p95 !== undefined &&
          earlier.length > 0 &&
          p95 > rule.latencyFactor * Math.min(...earlier)
        ? 'latency'
        : undefined;
  return {
    offered_rps: offered,
    achieved_rps: achieved,
    saturated: reason !== undefined,
    ...(reason ? { saturation_reason: reason } : {}),
  };
}

/**
 * An experiment's saturation point: its lowest-rate saturated paced point (the first, in a sweep
 * of rising rates), and the highest rate below it that was sustained. Undefined when no point was paced.
 */
function saturationOf(experiment: string, done: readonly ExperimentResult[]): Saturation | undefined {
  const paced = done.filter((d) => d.sweep?.offered_rps !== undefined);
  if (paced.length === 0) return undefined;
  const offered = (d: ExperimentResult) => d.sweep!.offered_rps!;
  const first = paced
    .filter((d) => d.sweep!.saturated)
    .reduce<ExperimentResult | undefined>((low, d) => (low === undefined || offered(d) < offered(low) ? d : low), undefined);
  const sustained = paced.filter((d) => !d.sweep!.saturated && (first === undefined || offered(d) < offered(first))).map(offered);
  return {
    experiment,
    point: first?.name ?? null,
    offered_rps: first ? offered(first) : null,
    achieved_rps: first?.sweep?.achieved_rps ?? null,
    max_unsaturated_rps: sustained.length > 0 ? Math.max(...sustained) : null,
  };
}

/** Most points one experiment may run, so a strategy whose `next` never ends cannot run forever. */
const MAX_POINTS = 1000;

function checkPoints(experiment: ResolvedExperiment, points: readonly LoadPoint[], before = 0): readonly LoadPoint[] {
  const bad = (why: string) =>
    new LlmbenchError(
      ErrorCodes.PLUGIN_FAILED,
      `strategy ${experiment.strategy.resolved.ref} of experiment "${experiment.name}" ${why}`,
    );
  if (points.length === 0) throw bad('returned no load points');
  if (before + points.length > MAX_POINTS) throw bad(`planned more than ${MAX_POINTS} load points`);
  for (const p of points) {
    if (!Number.isInteger(p.concurrency) || p.concurrency < 1)
      throw bad(`returned concurrency ${p.concurrency}; it must be an integer >= 1`);
    if (p.requests !== undefined && (!Number.isInteger(p.requests) || p.requests < 0))
      throw bad(`returned requests ${p.requests}`);
    if (p.servers !== undefined && (!Number.isInteger(p.servers) || p.servers < 1)) throw bad(`returned servers ${p.servers}`);
    if (p.rate !== undefined && !(Number.isFinite(p.rate) && p.rate > 0)) throw bad(`returned rate ${p.rate}; it must be > 0`);
    if (p.arrivals !== undefined && !ARRIVALS.includes(p.arrivals))
      throw bad(`returned arrivals "${String(p.arrivals)}"; it must be one of ${ARRIVALS.join(', ')}`);
    if (p.burstiness !== undefined && !(Number.isFinite(p.burstiness) && p.burstiness > 0))
      throw bad(`returned burstiness ${p.burstiness}; it must be > 0`);
    const t = p.saturation?.tolerance;
    if (t !== undefined && !(t >= 0 && t < 1)) throw bad(`returned saturation tolerance ${t}; it must be >= 0 and < 1`);
    const f = p.saturation?.latencyFactor;
    if (f !== undefined && !(Number.isFinite(f) && f > 1)) throw bad(`returned saturation latencyFactor ${f}; it must be > 1`);
  }
  return points;
}

interface Sampling {
  /** Stops sampling. A collector that failed keeps the readings it took; its failure is returned, not thrown. */
  stop(): Promise<{ readings: Record<string, Record<string, MetricSummary>>; errors: LlmbenchError[] }>;
}

/**
 * Starts every collector and takes its first sample (before the load begins), then samples each
 * every interval and once more at stop.
 */
async function startSampling(
  collectors: readonly { name: string; collector: Collector; intervalMs: number }[],
): Promise<Sampling> {
  const series = collectors.map(() => new Map<string, MetricSummary>());
  const take = async (i: number): Promise<void> => {
    const readings = await collectors[i]!.collector.sample();
    for (const [metric, value] of Object.entries(readings)) {
      const s = series[i]!.get(metric);
      if (!s) series[i]!.set(metric, { first: value, last: value, min: value, max: value, avg: value, samples: 1 });
      else {
        s.avg = (s.avg * s.samples + value) / (s.samples + 1);
        s.samples++;
        s.last = value;
        if (value < s.min) s.min = value;
        if (value > s.max) s.max = value;
      }
    }
  };
  const failures: { name: string; error: unknown }[] = [];
  const pending = new Set<Promise<void>>();
  const sampleSafely = (i: number): void => {
    const p: Promise<void> = take(i)
      .catch((error: unknown) => void failures.push({ name: collectors[i]!.name, error }))
      .finally(() => pending.delete(p));
    pending.add(p);
  };
  await Promise.all(
    collectors.map((c) => guard(`collector ${c.name} start`, ErrorCodes.PLUGIN_FAILED, () => c.collector.start?.())),
  );
  for (let i = 0; i < collectors.length; i++) sampleSafely(i);
  await Promise.all(pending);
  const timers = collectors.map((c, i) => setInterval(() => sampleSafely(i), c.intervalMs));
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      for (let i = 0; i < collectors.length; i++) sampleSafely(i);
      await Promise.all(pending);
      await Promise.all(
        collectors.map((c) =>
          Promise.resolve()
            .then(() => c.collector.stop?.())
            .catch((error: unknown) => void failures.push({ name: c.name, error })),
        ),
      );
      // One error per collector, the first it gave: a sampler failing every second is one problem.
      const seen = new Set<string>();
      const errors = failures
        .filter((f) => !seen.has(f.name) && seen.add(f.name))
        .map(
          (f) =>
            new LlmbenchError(ErrorCodes.PLUGIN_FAILED, `${f.name} failed: ${(f.error as Error).message}`, { cause: f.error }),
        );
      return { readings: Object.fromEntries(collectors.map((c, i) => [c.name, Object.fromEntries(series[i]!)])), errors };
    },
  };
}
