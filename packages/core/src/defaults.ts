/**
 * The defaults more than one place states. The scenario schema's descriptions (and so the generated
 * JSON Schemas), the loader and runner that apply them, the CLI's `--help` and docs/scenarios.md all
 * read them from here; defaults.test.ts checks the docs against them.
 *
 * They are not zod `.default()`s because a scenario's fields are merged in layers (experiment over
 * scenario over project config): a schema default would make every layer's unset field look set.
 * They are applied once, after the merge.
 */

/** A workload field nobody sets. */
export const WORKLOAD_DEFAULTS = { requests: 100, warmup: 0, stream: false, timeout_ms: 60_000 } as const;

/** Top-level scenario fields nobody sets. */
export const SCENARIO_DEFAULTS = { runs: 1, seed: 1 } as const;

/** A collector reference without `interval_ms` (and the string form). */
export const COLLECTOR_DEFAULTS = { interval_ms: 1000 } as const;

/** How often the runner reports and samples during a measured run. */
export const RUN_DEFAULTS = {
  /** Reporters' `onProgress` snapshots (ms). */
  progressIntervalMs: 250,
  /** Longest time between a worker thread's progress messages to the main thread (ms). */
  workerProgressIntervalMs: 500,
  /** Server readings (vLLM KV-cache use, queue depth...): as often as a collector. */
  serverSampleIntervalMs: COLLECTOR_DEFAULTS.interval_ms,
} as const;

/** A workload's `synthetic` source. */
export const SYNTHETIC_DEFAULTS = {
  prefix_tokens: 0,
  tokenizer: 'server',
  /** Without `prompts`: warmup + requests distinct prompts, at most this many. */
  max_prompts: 1000,
} as const;
