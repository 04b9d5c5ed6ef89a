// Over 400 lines on purpose: resolving a validated scenario (servers, workers files, workloads,
// plugins, experiments) with every issue at its file:line; checks share one Checker and its positions.
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import type { z } from 'zod';
import {
  ErrorCodes,
  LlmbenchError,
  isLlmbenchError,
  type ChatMessage,
  type ConfigIssue,
  type PluginKind,
} from '@llmbench/plugin-api';
import { orAbort } from '../abort.js';
import { loadProjectConfig, type LoadedConfig } from '../config.js';
import { PluginResolver, type ResolvedPlugin } from '../plugins/resolve.js';
import { coerceEnvValues, expandEnv, isEnvIssue, redactSecrets, redactText } from './env.js';
import { closest, httpUrlProblem, knownKeysOf, MAX_LISTED_ISSUES, toConfigIssues, typesAt, urlIssues } from './issues.js';
import { salvage } from './salvage.js';
import { collectInlineSecrets } from './secrets.js';
import {
  ScenarioSchema,
  WorkersFileSchema,
  type BalancerInput,
  type CollectorRef,
  type PluginRef,
  type Scenario,
  type Threshold,
  type Workload,
} from './schema.js';
import { DEFAULT_BALANCER, type BalancerOptions } from '../engine/balancer.js';
import { resolveSlo, sloPercentiles, type ResolvedSlo } from '../metrics/slo.js';
import { resolveMetric, thresholdPercentiles } from '../runner/thresholds.js';
import { parseSource, readSource, type PathSegment, type SourceFile } from './source.js';
import type { DirectoryJob, DirectorySpec } from '../jobs/job.js';
import { resolvePreset } from '../jobs/directory.js';
import { PROCESS_DEFAULTS } from '../jobs/defaults.js';
import { COLLECTOR_DEFAULTS, SCENARIO_DEFAULTS, WORKLOAD_DEFAULTS } from '../defaults.js';
import { statSync } from 'node:fs';
import { resolveSources, SOURCE_FIELDS } from '../workload/resolve.js';
import type { WorkloadExtras } from '../workload/types.js';
import { DEFAULT_REPORTERS } from '../seed/reporters.js';

export type Prompt = string | { readonly messages: readonly ChatMessage[] };

export interface ResolvedWorkload extends WorkloadExtras {
  readonly requests: number;
  readonly warmup: number;
  readonly model?: string;
  readonly systemPrompt?: string;
  readonly prompts: readonly Prompt[];
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly stream: boolean;
  readonly timeoutMs: number;
  /** A directory job as the scenario names it; planned (what is left to do) when its experiment starts. */
  readonly directorySpec?: DirectorySpec;
  /** A directory job: requests are its pending (document x prompt) tasks, and answers are saved. */
  readonly directory?: DirectoryJob;
}

export interface Configured<K extends PluginKind> {
  readonly resolved: ResolvedPlugin<K>;
  /** Options after the plugin's schema validated and defaulted them. */
  readonly options: unknown;
  /** Options as written (for results). */
  readonly rawOptions: Record<string, unknown>;
}

export interface ResolvedServer {
  readonly id: string;
  readonly url?: string;
  readonly model?: string;
  readonly maxConcurrentRequests: number;
  readonly backend: Configured<'backend'>;
}

export interface ResolvedExperiment {
  readonly name: string;
  readonly description?: string;
  readonly strategy: Configured<'strategy'>;
  readonly workload: ResolvedWorkload;
  readonly runs: number;
  readonly servers: readonly ResolvedServer[];
  readonly balancer: BalancerOptions;
  /** The experiment's service-level objectives: its own over the scenario's, measure by measure. */
  readonly slo?: ResolvedSlo;
  /** Percentiles its results carry beyond p50/p90/p95/p99: the scenario's, and those thresholds and SLOs read. */
  readonly percentiles: readonly number[];
}

export interface ResolvedCollector extends Configured<'collector'> {
  readonly intervalMs: number;
}

export interface LoadedScenario {
  readonly file: string;
  readonly dir: string;
  readonly name: string;
  readonly description?: string;
  readonly servers: readonly ResolvedServer[];
  readonly experiments: readonly ResolvedExperiment[];
  readonly reporters: readonly Configured<'reporter'>[];
  readonly collectors: readonly ResolvedCollector[];
  readonly thresholds: readonly Threshold[];
  /** The scenario's labels, merged over the project config's defaults.labels. */
  readonly labels: Readonly<Record<string, string>>;
  readonly seed: number;
  readonly configFile?: string;
  /** The merged, validated scenario with secrets redacted, as stored in results. */
  readonly definition: Record<string, unknown>;
  /** Values that came from the environment; every output redacts them. */
  readonly secrets: ReadonlySet<string>;
}

export interface LoadOptions {
  /** Built-in plugins, `"<kind>:<name>"` -> module URL (the CLI provides them). */
  readonly builtins: Readonly<Record<string, string>>;
  readonly env?: NodeJS.ProcessEnv;
  /** The scenario's text, when it is generated rather than read from `file` (which then only names it). */
  readonly text?: string;
  /** Stops loading (SIGINT/SIGTERM in the CLI): it rejects with the signal's reason between steps. */
  readonly signal?: AbortSignal;
}

export { WORKLOAD_DEFAULTS } from '../defaults.js';
export const DEFAULT_PROMPT = 'Write one sentence about the number {i}.';
/** Scenario and workers files larger than this are refused unparsed: they are configuration, not data. */
export const MAX_INPUT_BYTES = 128 * 1024 * 1024;
/** YAML ones larger than this, too: the YAML parser takes seconds per few MiB (JSON is read in one fast pass). */
export const MAX_YAML_BYTES = 4 * 1024 * 1024;
const SCENARIO_READ = {
  maxBytes: MAX_INPUT_BYTES,
  maxYamlBytes: MAX_YAML_BYTES,
  knownKeys: knownKeysOf(ScenarioSchema),
} as const;

/**
 * Loads a scenario file: parses it with positions, merges project-config defaults, expands
 * `${env:...}`, validates it, resolves every plugin and validates each plugin's options. Every
 * problem found is reported at once, as a CONFIG_INVALID error with located issues.
 */
export async function loadScenario(file: string, options: LoadOptions): Promise<LoadedScenario> {
  const env = options.env ?? process.env;
  const path = resolve(file);
  const dir = dirname(path);
  const signal = options.signal;
  const source =
    options.text === undefined
      ? await readSource(path, { ...SCENARIO_READ, what: 'scenario' })
      : parseSource(path, options.text, { knownKeys: SCENARIO_READ.knownKeys });
  signal?.throwIfAborted();
  // A .llmbenchrc.js runs the user's code, which may wait on anything: a signal stops the waiting.
  const config = await orAbort(signal, loadProjectConfig(dir, env));
  const issues: ConfigIssue[] = [...(config?.issues ?? [])];

  const expanded = expandEnv(source, env);
  issues.push(...expanded.issues);
  const unset = new Set([...expanded.unsetPaths, ...(config?.unsetPaths ?? [])]);
  const secrets = new Set([...expanded.secrets, ...(config?.secrets ?? [])]);
  const merged = coerceEnvValues(mergeDefaults(expanded.value, config), expanded.wholeRefs, (p) => typesAt(ScenarioSchema, p));
  // Inline credentials (api keys, auth headers, URL passwords) are redacted by value like ${env:...} ones.
  collectInlineSecrets(merged, secrets);
  collectInlineSecrets(config?.config, secrets);
  const locateIn = locator(source, config);

  // Validate the whole file, then keep checking whatever parts are valid on their own (plugins,
  // names, references), so one pass reports every problem rather than one layer at a time.
  const unlisted = { count: 0 };
  const parsed = ScenarioSchema.safeParse(merged);
  if (!parsed.success) {
    issues.push(...toConfigIssues(parsed.error.issues, { source, schema: ScenarioSchema, data: merged, locateIn, unlisted }));
    // A document that is not a mapping has no fields to check further.
    if (merged === null || typeof merged !== 'object' || Array.isArray(merged))
      throw invalid(path, issues, unset, secrets, unlisted.count);
  }
  signal?.throwIfAborted();
  const scenario = (parsed.success ? parsed.data : salvage(ScenarioSchema, merged)) as Salvaged;
  const check = new Checker(locateIn, issues);
  urlIssues(ScenarioSchema, scenario, (p, message, hint) => check.issue(p, message, hint));
  const resolver = new PluginResolver({
    builtins: options.builtins,
    ...(config?.config.plugins ? { aliases: config.config.plugins, aliasDir: config.dir } : {}),
    baseDir: dir,
  });
  const configure: Configure = (kind, ref, at, by = check) => configurePlugin(resolver, kind, ref, at, by, expanded.wholeRefs);

  const servers = await resolveServers(
    scenario,
    config,
    configure,
    check,
    resolver.knownNames('backend'),
    dir,
    options.text !== undefined,
    (type) => resolver.ownerOf('backend', type),
  );
  const serverIds = servers.map((s) => s.id);
  const baseWorkload = { ...scenario.workload };
  const runs = scenario.runs ?? SCENARIO_DEFAULTS.runs;

  const names = new Set<string>();
  const experiments: ResolvedExperiment[] = [];
  for (const [i, exp] of (scenario.experiments ?? []).entries()) {
    signal?.throwIfAborted();
    if (!exp) continue;
    if (names.has(exp.name))
      check.issue(
        ['experiments', i, 'name'],
        `experiment name "${exp.name}" is used twice`,
        'give each experiment a unique name',
      );
    names.add(exp.name);
    const strategy = await configure('strategy', exp.strategy, ['experiments', i, 'strategy']);
    const workload = await resolveWorkload(
      overrideWorkload(baseWorkload, exp.workload),
      dir,
      ['experiments', i, 'workload'],
      exp.workload,
      check,
      scenario.seed ?? SCENARIO_DEFAULTS.seed,
    );
    const chosen: ResolvedServer[] = [];
    for (const [j, id] of (exp.servers ?? []).entries()) {
      const server = servers.find((s) => s.id === id);
      if (server) chosen.push(server);
      else {
        check.issue(['experiments', i, 'servers', j], `no server with id "${id}"`, pickHint(id, serverIds));
      }
    }
    if (strategy && workload) {
      experiments.push({
        name: exp.name,
        ...(exp.description === undefined ? {} : { description: exp.description }),
        strategy,
        workload,
        runs: exp.runs ?? runs,
        servers: exp.servers ? chosen : servers,
        balancer: resolveBalancer(exp.balancer, resolveBalancer(scenario.balancer)),
        ...withSlo(exp.slo || scenario.slo ? { ...scenario.slo, ...exp.slo } : undefined),
        percentiles: [],
      });
    }
  }

  const reporters: Configured<'reporter'>[] = [];
  for (const [i, ref] of (scenario.reporters ?? DEFAULT_REPORTERS).entries()) {
    if (!ref) continue;
    const r = await configure('reporter', ref, scenario.reporters ? ['reporters', i] : []);
    if (r) reporters.push(r);
  }
  const collectors: ResolvedCollector[] = [];
  for (const [i, ref] of (scenario.collectors ?? []).entries()) {
    if (!ref) continue;
    const c = await configure(
      'collector',
      typeof ref === 'string' ? ref : { use: ref.use, ...(ref.options ? { options: ref.options } : {}) },
      ['collectors', i],
    );
    if (c) collectors.push({ ...c, intervalMs: intervalOf(ref) });
  }
  const thresholds = (scenario.thresholds ?? []).filter((t): t is Threshold => t !== null);
  for (const [i, t] of (scenario.thresholds ?? []).entries()) {
    if (t?.experiment === undefined) continue;
    if (!names.has(t.experiment)) {
      check.issue(['thresholds', i, 'experiment'], `no experiment named "${t.experiment}"`, pickHint(t.experiment, [...names]));
    }
  }
  for (const [i, t] of (scenario.thresholds ?? []).entries()) {
    if (typeof t?.metric !== 'string') continue;
    const r = resolveMetric(t.metric, serverIds);
    if ('error' in r) check.issue(['thresholds', i, 'metric'], r.error, r.hint);
  }
  const shared = [
    ...(scenario.percentiles ?? []).filter((p): p is number => typeof p === 'number'),
    ...thresholdPercentiles(thresholds, serverIds),
  ];
  for (const [i, e] of experiments.entries())
    experiments[i] = { ...e, percentiles: extraPercentiles([...shared, ...sloPercentiles(e.slo)]) };

  if (issues.length > 0) throw invalid(path, issues, unset, secrets, unlisted.count);
  return {
    file: path,
    dir,
    name: scenario.name ?? basename(path, extname(path)),
    ...(scenario.description === undefined ? {} : { description: scenario.description }),
    servers,
    experiments,
    reporters,
    collectors,
    thresholds,
    labels: scenario.labels ?? {},
    seed: scenario.seed ?? SCENARIO_DEFAULTS.seed,
    ...(config ? { configFile: config.file } : {}),
    definition: redactSecrets(scenario, secrets) as Record<string, unknown>,
    secrets,
  };
}

/**
 * Balancer settings over a base (the defaults, or the scenario's for an experiment): a bare policy
 * name changes only the policy; an object changes the fields it names.
 */
export function resolveBalancer(
  input: BalancerInput | null | undefined,
  base: BalancerOptions = DEFAULT_BALANCER,
): BalancerOptions {
  if (!input) return base;
  if (typeof input === 'string') return { ...base, policy: input };
  const backoffMs = input.backoff_ms ?? base.backoffMs;
  return {
    policy: input.policy ?? base.policy,
    ewmaAlpha: input.ewma_alpha ?? base.ewmaAlpha,
    ewmaDecayMs: input.ewma_decay_ms ?? base.ewmaDecayMs,
    ejectAfter: input.eject_after ?? base.ejectAfter,
    backoffMs,
    maxBackoffMs: Math.max(input.max_backoff_ms ?? base.maxBackoffMs, backoffMs),
  };
}

type Holes<T> = T extends readonly (infer E)[] ? (E | null)[] : T;
/** A scenario of which only the individually valid parts were kept; invalid list items are null. */
type Salvaged = { [K in keyof Scenario]?: Holes<Scenario[K]> };

/** An experiment's workload: its own fields win; a prompt source of its own (prompts, records...) replaces the base's. */
function overrideWorkload(base: Workload, override: Workload | undefined): Workload {
  if (!override) return base;
  const merged = { ...base };
  if (SOURCE_FIELDS.some((f) => override[f] !== undefined)) for (const f of SOURCE_FIELDS) delete merged[f];
  return { ...merged, ...override };
}

function withSlo(input: Scenario['slo']): { slo?: ResolvedSlo } {
  const slo = resolveSlo(input ?? undefined);
  return slo ? { slo } : {};
}

/** Distinct percentiles, ascending, without the four results always carry. */
function extraPercentiles(ps: readonly number[]): number[] {
  return [...new Set(ps)].filter((p) => ![50, 90, 95, 99].includes(p)).sort((a, b) => a - b);
}

/** The fix for an unknown name: the likely intended one, else `otherwise` (default: the names to choose from). */
function pickHint(name: string, known: readonly string[], otherwise = `use one of: ${known.join(', ')}`): string {
  const guess = closest(name, known);
  return guess ? `did you mean "${guess}"?` : otherwise;
}

function invalid(
  file: string,
  found: readonly ConfigIssue[],
  unset: ReadonlySet<string>,
  secrets: ReadonlySet<string>,
  unlisted: number,
): LlmbenchError {
  const seen = new Set<string>();
  // A value from ${env:...} never appears in an error message (it may be a key that is invalid here).
  const redact = (i: ConfigIssue): ConfigIssue => ({
    ...i,
    message: redactText(i.message, secrets),
    ...(i.expected === undefined ? {} : { expected: redactText(i.expected, secrets) }),
    ...(i.hint === undefined ? {} : { hint: redactText(i.hint, secrets) }),
  });
  const issues = found.map(redact).filter((i) => {
    // An unset ${env:...} is reported once; what its empty value then breaks at that field is noise.
    if (unset.has(i.path) && !isEnvIssue(i.message)) return false;
    const key = `${i.file}:${i.line}:${i.column}:${i.path}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const sorted = [...issues].sort((a, b) =>
    a.file === b.file ? (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) : a.file < b.file ? -1 : 1,
  );
  const total = issues.length + unlisted;
  const listed = sorted.slice(0, MAX_LISTED_ISSUES);
  const more = total - listed.length;
  return new LlmbenchError(
    ErrorCodes.CONFIG_INVALID,
    `${file}: ${total} problem${total === 1 ? '' : 's'} found${more > 0 ? ` (the first ${listed.length} are listed)` : ''}`,
    { issues: listed, ...(more > 0 ? { hint: `${more} more not listed; fix these and validate again` } : {}) },
  );
}

type Locate = (path: PathSegment[]) => { source: SourceFile; path: PathSegment[] };

/** Points each path at the file its value came from: the scenario, or the project config's defaults. */
function locator(source: SourceFile, config: LoadedConfig | undefined): Locate {
  return (path) => {
    if (source.has(path) || !config?.source) return { source, path };
    const inConfig = [...config.base, 'defaults', ...path];
    return config.source.has(inConfig) ? { source: config.source, path: inConfig } : { source, path };
  };
}

function mergeDefaults(raw: unknown, config: LoadedConfig | undefined): unknown {
  const defaults = config?.config.defaults;
  if (!defaults || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const key of ['backend', 'balancer', 'runs', 'reporters', 'collectors', 'thresholds'] as const) {
    if (out[key] === undefined && defaults[key] !== undefined) out[key] = defaults[key];
  }
  if (defaults.workload) out.workload = overrideWorkload(defaults.workload, out.workload as Workload | undefined);
  // Labels merge key by key; a scenario value that is not a map is left for validation to report.
  if (
    defaults.labels &&
    (out.labels === undefined || (typeof out.labels === 'object' && out.labels !== null && !Array.isArray(out.labels)))
  ) {
    out.labels = { ...defaults.labels, ...(out.labels as Record<string, unknown> | undefined) };
  }
  return out;
}

class Checker {
  constructor(
    private readonly locate: Locate,
    readonly issues: ConfigIssue[],
  ) {}

  issue(path: PathSegment[], message: string, hint: string, expected?: string): void {
    const target = this.locate(path);
    const pos = target.source.locate(target.path);
    this.issues.push({
      file: target.source.file,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      path: path.join('.'),
      message,
      ...(expected === undefined ? {} : { expected }),
      hint,
    });
  }

  zodIssues(error: z.ZodError, schema: z.ZodType, data: unknown, base: PathSegment[]): void {
    const located = toConfigIssues(error.issues, {
      source: this.locate(base).source,
      schema,
      data,
      base,
      locateIn: this.locate,
    });
    this.issues.push(...located);
  }
}

type Configure = <K extends PluginKind>(
  kind: K,
  ref: PluginRef,
  at: PathSegment[],
  by?: Checker,
) => Promise<Configured<K> | undefined>;

async function configurePlugin<K extends PluginKind>(
  resolver: PluginResolver,
  kind: K,
  ref: PluginRef,
  at: PathSegment[],
  check: Checker,
  envRefs: readonly (readonly PathSegment[])[],
): Promise<Configured<K> | undefined> {
  const name = typeof ref === 'string' ? ref : ref.use;
  const rawOptions = typeof ref === 'string' ? {} : (ref.options ?? {});
  let resolved: ResolvedPlugin<K>;
  try {
    resolved = await resolver.resolve(kind, name);
  } catch (error) {
    if (!isLlmbenchError(error)) throw error;
    check.issue(typeof ref === 'string' ? at : [...at, 'use'], error.message, error.hint ?? 'check the plugin name');
    return undefined;
  }
  const base = [...at, 'options'].join('.');
  const inOptions = envRefs.filter((p) => p.join('.').startsWith(`${base}.`)).map((p) => p.slice(at.length + 1));
  coerceEnvValues(rawOptions, inOptions, (p) => typesAt(resolved.plugin.options as unknown as z.core.$ZodType, p));
  const parsed = resolved.plugin.options.safeParse(rawOptions);
  if (!parsed.success) {
    check.zodIssues(parsed.error, resolved.plugin.options, rawOptions, [...at, 'options']);
    return undefined;
  }
  let usable = true;
  urlIssues(resolved.plugin.options as unknown as z.core.$ZodType, rawOptions, (p, message, hint) => {
    usable = false;
    check.issue([...at, 'options', ...p], message, hint);
  });
  return usable ? { resolved, options: parsed.data, rawOptions } : undefined;
}

/**
 * Reads and validates the seed's workers file. Its issues, and later problems with its workers (a
 * duplicate id, an unknown type), point into that file at `workers.<i>.<field>`.
 */
async function readWorkersFile(
  path: string,
  check: Checker,
  generated: boolean,
): Promise<{ entry: WorkerEntry; at: PathSegment[]; check: Checker }[]> {
  let source: SourceFile;
  try {
    source = await readSource(path, {
      maxBytes: MAX_INPUT_BYTES,
      maxYamlBytes: MAX_YAML_BYTES,
      knownKeys: knownKeysOf(WorkersFileSchema),
      what: 'workers file',
    });
  } catch (error) {
    if (!isLlmbenchError(error)) throw error;
    const hint =
      'point workers_file at the seed\'s workers JSON ({"workers": [{"id", "host", "port", "type", ...}]}), relative to the scenario';
    if (error.issues.length) check.issues.push(...error.issues);
    // A generated scenario (llmbench benchmark -c FILE) has no line to point at: name the file.
    else if (generated)
      check.issues.push({ file: path, path: '', message: error.message.replace(`${path}: `, ''), hint: error.hint ?? hint });
    else check.issue(['workers_file'], error.message, hint);
    return [];
  }
  const inFile = new Checker((p) => ({ source, path: p }), check.issues);
  const parsed = WorkersFileSchema.safeParse(source.value);
  if (!parsed.success) {
    check.issues.push(...toConfigIssues(parsed.error.issues, { source, schema: WorkersFileSchema, data: source.value }));
    return [];
  }
  return parsed.data.workers.map((w, i) => ({
    entry: {
      id: w.id,
      host: w.host,
      port: w.port,
      type: w.type,
      ...(w.model === undefined ? {} : { model: w.model }),
      ...(w.max_concurrent_requests === undefined ? {} : { max_concurrent_requests: w.max_concurrent_requests }),
    },
    at: ['workers', i],
    check: inFile,
  }));
}

type WorkerEntry = Extract<NonNullable<NonNullable<Salvaged['servers']>[number]>, object>;

async function resolveServers(
  scenario: Salvaged,
  config: LoadedConfig | undefined,
  configure: Configure,
  check: Checker,
  knownBackends: readonly string[],
  dir: string,
  generated: boolean,
  backendOfType: (type: string) => Promise<string | undefined>,
): Promise<ResolvedServer[]> {
  const defaultBackend = scenario.backend;
  const workers =
    scenario.workers_file === undefined ? [] : await readWorkersFile(resolve(dir, scenario.workers_file), check, generated);
  if (!scenario.servers && scenario.workers_file === undefined) {
    if (!defaultBackend) {
      const choices = knownBackends.length ? ` (one of: ${knownBackends.join(', ')})` : '';
      check.issue(
        [],
        'no backend: nothing says which server to drive',
        `add "backend: <name>"${choices} or a "servers" list`,
        'a backend or servers',
      );
      return [];
    }
    const backend = await configure('backend', defaultBackend, ['backend']);
    const id = typeof defaultBackend === 'string' ? defaultBackend : defaultBackend.use;
    return backend ? [{ id: id.replace(/[^A-Za-z0-9_.-]/g, '-'), maxConcurrentRequests: Infinity, backend }] : [];
  }
  const servers: ResolvedServer[] = [];
  const ids = new Set<string>();
  const named = config?.config.servers ?? {};
  const entries: { entry: NonNullable<NonNullable<Salvaged['servers']>[number]>; at: PathSegment[]; check: Checker }[] = [
    ...(scenario.servers ?? []).flatMap((entry, i) => (entry ? [{ entry, at: ['servers', i] as PathSegment[], check }] : [])),
    ...workers,
  ];
  for (const { entry, at: entryAt, check: by } of entries) {
    let def: Exclude<typeof entry, string> | (NonNullable<(typeof named)[string]> & { id: string });
    if (typeof entry === 'string') {
      const fromConfig = named[entry];
      if (!fromConfig) {
        by.issue(
          entryAt,
          `no server named "${entry}" in the project config${config ? ` (${config.file})` : ' (none found)'}`,
          pickHint(entry, Object.keys(named), 'define it under "servers" in llmbench.config.yaml, or write the server inline'),
        );
        continue;
      }
      def = { ...fromConfig, id: fromConfig.id ?? entry };
    } else def = entry;
    const at: PathSegment[] = entryAt;
    if (ids.has(def.id)) by.issue([...at, 'id'], `server id "${def.id}" is used twice`, 'give each server a unique id');
    ids.add(def.id);
    if (def.url !== undefined && def.host !== undefined)
      by.issue([...at, 'host'], 'both url and host are set', 'keep one: url, or host + port');
    if (def.host !== undefined && def.port === undefined)
      by.issue([...at, 'host'], 'host without port', 'add "port: <number>" or use url');
    const host = def.host?.includes(':') && !def.host.startsWith('[') ? `[${def.host}]` : def.host;
    const url = def.url ?? (host !== undefined && def.port !== undefined ? `http://${host}:${def.port}` : undefined);
    const hostProblem = def.url === undefined && url !== undefined ? httpUrlProblem(url) : undefined;
    if (hostProblem)
      by.issue(
        [...at, 'host'],
        `"${def.host}" is not a usable host name: ${hostProblem}`,
        'write a host name or IP address, such as 127.0.0.1',
      );
    let backendRef: PluginRef | undefined = def.backend;
    let backendAt: PathSegment[] = [...at, 'backend'];
    let backendBy = by;
    if (!backendRef && def.type !== undefined) {
      const alias = (await backendOfType(def.type)) ?? def.type;
      const defaultName = typeof defaultBackend === 'string' ? defaultBackend : defaultBackend?.use;
      // `type: lm_studio` with a top-level `backend: { use: lmstudio, options }`: the options apply.
      if (defaultBackend && defaultName === alias) {
        backendRef = defaultBackend;
        backendAt = ['backend'];
        backendBy = check;
      } else {
        backendRef = alias;
        backendAt = [...at, 'type'];
      }
    }
    if (!backendRef) {
      backendRef = defaultBackend;
      backendAt = ['backend'];
      backendBy = check;
    }
    if (!backendRef) {
      by.issue(at, `server "${def.id}" has no backend`, 'add "backend: <name>" to the server, or a top-level "backend"');
      continue;
    }
    const backend = await configure('backend', backendRef, backendAt, backendBy);
    if (!backend) continue;
    servers.push({
      id: def.id,
      ...(url === undefined ? {} : { url }),
      ...(def.model === undefined ? {} : { model: def.model }),
      maxConcurrentRequests: def.max_concurrent_requests ?? Infinity,
      backend,
    });
  }
  return servers;
}

async function resolveWorkload(
  w: Workload,
  dir: string,
  at: PathSegment[],
  override: Workload | undefined,
  check: Checker,
  seed: number,
): Promise<ResolvedWorkload | undefined> {
  const where = (field: string): PathSegment[] => (override && field in override ? [...at, field] : ['workload', field]);
  let prompts: Prompt[] = w.prompts ? [...w.prompts] : [];
  const set = SOURCE_FIELDS.filter((f) => w[f] !== undefined);
  if (set.length > 1) {
    check.issue(where(set[1]!), `both ${set[0]} and ${set[1]} are set`, 'keep one prompt source');
    return undefined;
  }
  const sources = await resolveSources(w, dir, seed);
  if (!sources.ok) {
    // A record's problem points into the data file, at its line; a file-wide one, at the field naming the file.
    const field = [...where(sources.field), 'file'];
    for (const i of sources.issues) {
      if (i.line === undefined) check.issue(field, `${i.file}: ${i.message}`, i.hint);
      else check.issues.push({ file: i.file, line: i.line, path: field.join('.'), message: i.message, hint: i.hint });
    }
    return undefined;
  }
  if (sources.prompts) prompts = sources.prompts;
  if (w.prompts_file) {
    const loaded = await readPromptsFile(resolve(dir, w.prompts_file));
    if (typeof loaded === 'string') {
      check.issue(where('prompts_file'), loaded, 'point prompts_file at a .txt (one prompt per line) or .jsonl file');
      return undefined;
    }
    prompts = loaded;
  }
  if (prompts.length === 0) prompts = [DEFAULT_PROMPT];
  let directorySpec: DirectorySpec | undefined;
  if (w.directory) {
    const d = w.directory;
    if (w.prompts || w.prompts_file)
      check.issue(
        where('directory'),
        'both directory and prompts (or prompts_file) are set',
        "keep one: a directory job asks its preset's prompts",
      );
    const input = resolve(dir, d.input);
    let isDir = false;
    try {
      isDir = statSync(input).isDirectory();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (!isDir)
      check.issue(
        [...where('directory'), 'input'],
        `${input} is not a folder`,
        'point input at the folder of documents, relative to the scenario',
      );
    const preset = d.preset ?? PROCESS_DEFAULTS.preset;
    try {
      const presetPrompts = await resolvePreset(preset, {
        ...(d.preset_file === undefined ? {} : { presetFile: d.preset_file }),
        cwd: dir,
      });
      directorySpec = { input, out: resolve(dir, d.out), preset, prompts: presetPrompts };
    } catch (error) {
      if (!isLlmbenchError(error)) throw error;
      check.issue(
        [...where('directory'), d.preset_file === undefined ? 'preset' : 'preset_file'],
        error.message,
        error.hint ?? 'check the preset',
      );
    }
    if (!directorySpec || !isDir) return undefined;
  }
  return {
    ...(directorySpec ? { directorySpec } : {}),
    requests: w.requests ?? WORKLOAD_DEFAULTS.requests,
    warmup: w.warmup ?? WORKLOAD_DEFAULTS.warmup,
    ...(w.model === undefined ? {} : { model: w.model }),
    ...(w.system_prompt === undefined ? {} : { systemPrompt: w.system_prompt }),
    prompts,
    ...(w.max_tokens === undefined ? {} : { maxTokens: w.max_tokens }),
    ...(w.temperature === undefined ? {} : { temperature: w.temperature }),
    stream: w.stream ?? WORKLOAD_DEFAULTS.stream,
    timeoutMs: w.timeout_ms ?? WORKLOAD_DEFAULTS.timeout_ms,
    ...sources.extras,
  };
}

const ROLES: ReadonlySet<unknown> = new Set(['system', 'user', 'assistant']);

/** Reads prompts from .txt (one per line) or .jsonl; returns an error message on failure. */
async function readPromptsFile(path: string): Promise<Prompt[] | string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return `cannot read prompts file ${path}`;
  }
  const lines = text.split(/\r?\n/);
  const prompts: Prompt[] = [];
  const jsonl = path.endsWith('.jsonl') || path.endsWith('.ndjson');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    if (!jsonl) {
      prompts.push(line);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return `${path}:${i + 1}: not valid JSON`;
    }
    const v = value as { prompt?: unknown; messages?: unknown };
    if (typeof v.prompt === 'string') prompts.push(v.prompt);
    else if (
      Array.isArray(v.messages) &&
      v.messages.length > 0 &&
      v.messages.every((m) => ROLES.has(m?.role) && typeof m?.content === 'string')
    ) {
      prompts.push({ messages: v.messages as ChatMessage[] });
    } else
      return `${path}:${i + 1}: expected {"prompt": "..."} or {"messages": [{"role": "system"|"user"|"assistant", "content": "..."}]}`;
  }
  return prompts.length ? prompts : `${path} has no prompts`;
}

function intervalOf(ref: CollectorRef): number {
  return typeof ref === 'string' ? COLLECTOR_DEFAULTS.interval_ms : (ref.interval_ms ?? COLLECTOR_DEFAULTS.interval_ms);
}
