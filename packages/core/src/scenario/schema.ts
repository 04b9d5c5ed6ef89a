import { z } from 'zod';
import { BALANCER_POLICIES, DEFAULT_BALANCER } from '../engine/balancer.js';
import { COLLECTOR_DEFAULTS, SCENARIO_DEFAULTS, WORKLOAD_DEFAULTS } from '../defaults.js';
import { PresetSchema } from '../jobs/presets.js';
import { workloadSourceFields } from '../workload/schema.js';

/**
 * Scenario and project-config formats. These zod schemas are the one hand-written description;
 * `schemas/scenario.schema.json` and `schemas/config.schema.json` are generated from them.
 * Keys are snake_case like the seed's worker files (`max_concurrent_requests`).
 */

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "." and "-", starting with a letter or digit');

export const PluginRefSchema = z
  .union([
    z.string().min(1).describe('Plugin short name (e.g. "semaphore"), package name, or path to a module.'),
    z.strictObject({
      use: z.string().min(1).describe('Plugin short name, package name, or path to a module.'),
      options: z.record(z.string(), z.unknown()).optional().describe("Options, validated by the plugin's own schema."),
    }),
  ])
  .describe('A plugin: a name, or { use, options }.')
  .meta({ id: 'PluginRef' });

export const CollectorRefSchema = z
  .union([
    z.string().min(1),
    z.strictObject({
      use: z.string().min(1),
      options: z.record(z.string(), z.unknown()).optional(),
      interval_ms: z
        .number()
        .int()
        .min(50)
        .optional()
        .describe(`How often to sample during a run (default ${COLLECTOR_DEFAULTS.interval_ms}).`),
    }),
  ])
  .meta({ id: 'CollectorRef' });

const serverFields = {
  url: z.url().optional().describe('Base URL, e.g. http://127.0.0.1:8000. Alternative to host + port.'),
  host: z.string().min(1).optional().describe('Host name or address (seed workers-file style); used with port.'),
  port: z.number().int().min(1).max(65535).optional(),
  backend: PluginRefSchema.optional().describe("Backend for this server; defaults to the scenario's backend."),
  type: z
    .string()
    .min(1)
    .optional()
    .describe("Backend as a seed workers file names it: a backend's name or one of the aliases it declares."),
  model: z.string().min(1).optional(),
  max_concurrent_requests: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Client-side cap on requests in flight to this server. Unlimited when absent.'),
};

export const ServerSchema = z
  .strictObject({
    id: name.describe('Unique server id, used in per-server results.'),
    ...serverFields,
  })
  .meta({ id: 'Server' });

export const NamedServerSchema = z.strictObject({ id: name.optional(), ...serverFields }).meta({ id: 'NamedServer' });

export const PromptSchema = z
  .union([
    z.string().min(1),
    z.strictObject({
      messages: z.array(z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })).min(1),
    }),
  ])
  .meta({ id: 'Prompt' });

const workloadFields = {
  requests: z.number().int().positive().describe(`Measured requests per run (default ${WORKLOAD_DEFAULTS.requests}).`),
  warmup: z
    .number()
    .int()
    .nonnegative()
    .describe(`Requests sent before each experiment and not measured (default ${WORKLOAD_DEFAULTS.warmup}).`),
  model: z.string().min(1).describe("Model name sent with each request; a server's own model takes precedence for that server."),
  system_prompt: z
    .string()
    .describe("System message prepended to every prompt (the shared prefix the seed's prefix cache reuses)."),
  prompts: z.array(PromptSchema).min(1).describe('Prompts, used in turn. "{i}" in a string prompt becomes the request index.'),
  prompts_file: z
    .string()
    .min(1)
    .describe(
      'A .txt file (one prompt per line) or .jsonl file ({"prompt": "..."} or {"messages": [...]} per line), relative to the scenario.',
    ),
  ...workloadSourceFields,
  max_tokens: z.number().int().positive().describe('max_tokens sent with each request.'),
  temperature: z.number().min(0).max(2),
  stream: z.boolean().describe(`Request a streamed (SSE) response (default ${WORKLOAD_DEFAULTS.stream}).`),
  timeout_ms: z
    .number()
    .int()
    .positive()
    .describe(`Whole-request timeout in milliseconds (default ${WORKLOAD_DEFAULTS.timeout_ms}).`),
  directory: z
    .strictObject({
      input: z.string().min(1).describe('Folder of documents (.txt, .md; subfolders too), relative to the scenario.'),
      preset: z
        .string()
        .min(1)
        .optional()
        .describe(
          'Prompts asked of every document: built-in "research" (the default) or a preset of the project config or preset_file.',
        ),
      preset_file: z
        .string()
        .min(1)
        .optional()
        .describe('JSON or YAML file holding a list of prompts or { name: [prompts] }, relative to the scenario.'),
      out: z
        .string()
        .min(1)
        .describe(
          'Where answers go (OUT/<document>/<prompt>.md and OUT/index.jsonl), relative to the scenario; "{experiment}" and "{timestamp}" are replaced. Tasks already saved there are skipped.',
        ),
    })
    .describe(
      'A directory job (llmbench process): the requests are every document x every prompt of a preset, not yet saved under out; replaces requests, prompts and warmup.',
    ),
};

export const WorkloadSchema = z.strictObject(workloadFields).partial().meta({ id: 'Workload' });

const policy = z
  .enum(BALANCER_POLICIES as ['latency-aware', 'least-outstanding', 'round-robin'])
  .describe(
    'latency-aware: lowest (outstanding + 1) x recent latency (EWMA); least-outstanding: fewest requests in flight; round-robin: in turn. Every policy respects max_concurrent_requests.',
  );

export const BalancerSchema = z
  .union([
    policy,
    z.strictObject({
      policy: policy.optional().describe(`Default ${DEFAULT_BALANCER.policy}.`),
      ewma_alpha: z
        .number()
        .gt(0)
        .max(1)
        .optional()
        .describe(`Weight of the newest latency in the moving average (default ${DEFAULT_BALANCER.ewmaAlpha}).`),
      ewma_decay_ms: z
        .number()
        .positive()
        .optional()
        .describe(
          `A server's average decays toward 0 with this time constant while it gets no responses, so it is tried again (default ${DEFAULT_BALANCER.ewmaDecayMs}).`,
        ),
      eject_after: z
        .number()
        .int()
        .nonnegative()
        .optional()
        .describe(
          `Consecutive failures (5xx, 408, 429, timeouts, connection and protocol errors) that take a server out; 0 never does (default ${DEFAULT_BALANCER.ejectAfter}).`,
        ),
      backoff_ms: z
        .number()
        .int()
        .positive()
        .optional()
        .describe(
          `How long a server stays out before one probe request; doubles after each failed probe (default ${DEFAULT_BALANCER.backoffMs}).`,
        ),
      max_backoff_ms: z
        .number()
        .int()
        .positive()
        .optional()
        .describe(`Longest back-off (default ${DEFAULT_BALANCER.maxBackoffMs}).`),
    }),
  ])
  .describe(
    "How requests are spread over servers: a policy name, or { policy, ... } with health-check settings. In an experiment, applied over the scenario's (to compare policies): only the fields it names change.",
  )
  .meta({ id: 'Balancer' });

export const ThresholdSchema = z
  .strictObject({
    metric: z
      .string()
      .min(1)
      .describe(
        'A number of the experiment summary, by dotted path: success_rate, goodput, ttft_ms.p99.9, tokens.output_tokens_per_second, failures.timeout, servers.<id>.busy_fraction... (docs/metrics.md#threshold-metrics).',
      ),
    min: z.number().optional(),
    max: z.number().optional(),
    experiment: z.string().optional().describe('Only this experiment (default: every experiment).'),
    abort_on_fail: z
      .boolean()
      .optional()
      .describe(
        'Checked after each experiment (each sweep point); when it fails, the experiments after it are not run (default false).',
      ),
  })
  .refine((t) => t.min !== undefined || t.max !== undefined, {
    message: 'a threshold needs min, max or both',
    params: { hint: 'add "min: <number>" and/or "max: <number>"' },
  })
  .meta({ id: 'Threshold' });

const objective = z
  .record(
    z.string().regex(/^(max|p(100|\d{1,2}(\.\d+)?))$/, 'use "max" or a percentile such as "p95" or "p99.9"'),
    z.number().positive(),
  )
  .refine((o) => Object.keys(o).length === 1, {
    message: 'an objective has exactly one bound',
    params: { hint: 'write { max: <ms> } or { p95: <ms> }' },
  })
  .describe(
    "{ max: ms }: each request within ms; { p95: ms }: the run's 95th percentile within ms (and each request within ms counts toward goodput).",
  );

export const SloSchema = z
  .strictObject({
    ttft_ms: objective.optional().describe('Time to first token.'),
    itl_ms: objective.optional().describe('Inter-token latency; per request, its largest gap.'),
    tpot_ms: objective.optional().describe('Time per output token.'),
    e2el_ms: objective.optional().describe('End-to-end latency (latency_ms).'),
  })
  .describe(
    "Service-level objectives: goodput counts the successful requests within every objective's limit (docs/metrics.md#goodput). In an experiment, applied over the scenario's: each measure it names replaces the scenario's objective on it.",
  )
  .meta({ id: 'Slo' });

export const LabelsSchema = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_./-]*$/, 'use letters, digits, "_", ".", "/" and "-", starting with a letter or digit'),
    z.string().max(256).describe('A string: quote numbers and dates (gpu: "8", date: "2026-01-31").'),
  )
  .describe(
    "Key: value strings that say what this run was (gpu: A100, build: nightly); recorded in the results and shown in the reports. The project config's defaults.labels are merged in, the scenario's own keys winning.",
  )
  .meta({ id: 'Labels' });

export const ExperimentSchema = z
  .strictObject({
    name: name.describe('Unique experiment name.'),
    description: z.string().optional(),
    strategy: PluginRefSchema.describe('How load is applied: semaphore, batch, or a plugin.'),
    workload: WorkloadSchema.optional().describe('Overrides of the scenario workload for this experiment.'),
    runs: z.number().int().positive().optional().describe("Overrides the scenario's runs."),
    servers: z.array(z.string().min(1)).min(1).optional().describe('Ids of the servers this experiment uses (default: all).'),
    balancer: BalancerSchema.optional(),
    slo: SloSchema.optional(),
  })
  .meta({ id: 'Experiment' });

export const ScenarioSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: name.optional().describe('Scenario name, used in report names (default: the file name).'),
    description: z.string().optional().describe('The question this scenario answers; shown at the top of reports.'),
    labels: LabelsSchema.optional(),
    backend: PluginRefSchema.optional().describe('Default backend for servers that name none.'),
    servers: z
      .array(z.union([ServerSchema, z.string().min(1).describe('Name of a server in the project config.')]))
      .min(1)
      .optional()
      .describe('Servers to drive. Default: one server handled by the backend with its default URL.'),
    workers_file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A workers file as the seed guide writes it ({"workers": [{"id", "host", "port", "type", "model", "max_concurrent_requests"}]}), relative to the scenario; its workers are added to servers.',
      ),
    balancer: BalancerSchema.optional(),
    workload: WorkloadSchema.optional(),
    experiments: z.array(ExperimentSchema).min(1),
    runs: z.number().int().positive().optional().describe(`Repeats of every experiment (default ${SCENARIO_DEFAULTS.runs}).`),
    seed: z
      .number()
      .int()
      .optional()
      .describe(`Seed given to plugins for anything random, e.g. mock latencies (default ${SCENARIO_DEFAULTS.seed}).`),
    reporters: z.array(PluginRefSchema).optional().describe('Default: console and json.'),
    collectors: z.array(CollectorRefSchema).optional(),
    thresholds: z.array(ThresholdSchema).optional().describe('Checks on the results; any failing one makes the exit code 1.'),
    slo: SloSchema.optional(),
    percentiles: z
      .array(z.number().gt(0).max(100))
      .min(1)
      .optional()
      .describe(
        'Percentiles every latency family carries in results; p50, p90, p95 and p99 are always there, others go in "extra" (e.g. [50, 90, 99, 99.9]).',
      ),
  })
  .describe('llmbench scenario')
  .meta({ title: 'Scenario' });

export const ProjectConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    defaults: z
      .strictObject({
        backend: PluginRefSchema.optional(),
        balancer: BalancerSchema.optional(),
        workload: WorkloadSchema.optional(),
        runs: z.number().int().positive().optional(),
        reporters: z.array(PluginRefSchema).optional(),
        collectors: z.array(CollectorRefSchema).optional(),
        thresholds: z.array(ThresholdSchema).optional(),
        labels: LabelsSchema.optional(),
      })
      .optional()
      .describe("Defaults for every scenario in the project; a scenario's own fields win."),
    servers: z.record(name, NamedServerSchema).optional().describe('Named servers that scenarios list by name.'),
    plugins: z
      .record(
        z
          .string()
          .regex(/^(backend|strategy|reporter|collector):[A-Za-z0-9._-]+$/, 'keys are "<kind>:<name>", e.g. "backend:acme"'),
        z.string().min(1),
      )
      .optional()
      .describe('Extra short names: "<kind>:<name>" -> module specifier or path (relative to the config file).'),
    presets: z
      .record(name, PresetSchema)
      .optional()
      .describe(
        'Prompt presets for directory jobs (llmbench process --preset <name>): name -> prompts (a string, or { id, prompt } to name the answer file <id>.md).',
      ),
  })
  .describe('llmbench project config (llmbench.config.*, .llmbenchrc*, package.json#llmbench)')
  .meta({ title: 'ProjectConfig' });

/** The seed guide's workers file, read as-is. */
export const WorkersFileSchema = z
  .strictObject({
    workers: z
      .array(
        z.strictObject({
          id: name,
          host: z.string().min(1),
          port: z.number().int().min(1).max(65535),
          type: z
            .string()
            .min(1)
            .describe("Server kind: a backend's name or one of the aliases it declares (the seed's kinds are)."),
          model: z.string().min(1).optional(),
          max_concurrent_requests: z.number().int().positive().optional(),
        }),
      )
      .min(1),
  })
  .meta({ title: 'WorkersFile' });

export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Scenario = z.output<typeof ScenarioSchema>;
export type ProjectConfig = z.output<typeof ProjectConfigSchema>;
export type PluginRef = z.output<typeof PluginRefSchema>;
export type CollectorRef = z.output<typeof CollectorRefSchema>;
export type ServerDef = z.output<typeof ServerSchema>;
export type Workload = z.output<typeof WorkloadSchema>;
export type Threshold = z.output<typeof ThresholdSchema>;
export type Slo = z.output<typeof SloSchema>;
export type Experiment = z.output<typeof ExperimentSchema>;
export type BalancerInput = z.output<typeof BalancerSchema>;
