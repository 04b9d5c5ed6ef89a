export { loadScenario, DEFAULT_PROMPT, WORKLOAD_DEFAULTS } from './scenario/load.js';
export type {
  LoadedScenario,
  LoadOptions,
  ResolvedExperiment,
  ResolvedServer,
  ResolvedWorkload,
  Prompt,
} from './scenario/load.js';
export { COLLECTOR_DEFAULTS, RUN_DEFAULTS, SCENARIO_DEFAULTS, SYNTHETIC_DEFAULTS } from './defaults.js';
export { ScenarioSchema, ProjectConfigSchema, WorkersFileSchema } from './scenario/schema.js';
export { resolveMetric, thresholdMetricNames } from './runner/thresholds.js';
export type { Scenario, ScenarioInput, ProjectConfig, Threshold } from './scenario/schema.js';
export { parseSource, readSource } from './scenario/source.js';
export { loadProjectConfig, CONFIG_SEARCH_PLACES } from './config.js';
export { redactSecrets, redactText, REDACTED } from './scenario/env.js';
export { PluginResolver } from './plugins/resolve.js';
export { conventionalPackage, optionsOfPlugin, pluginOfPackage, pluginPackage } from './plugins/naming.js';
export type { ResolvedPlugin, ResolveOptions } from './plugins/resolve.js';
export { runScenario, systemClock, silentLogger } from './runner/run.js';
export type { RunScenarioOptions, RunOutcome } from './runner/run.js';
export { LoadEngine, EngineSession, defaultThreads } from './engine/engine.js';
export type { EnginePoint, EngineResult, LiveProgress } from './engine/engine.js';
export { Control } from './engine/control.js';
export { runPartition } from './engine/partition.js';
export { monotonicClock } from './engine/clock.js';
export { requestFactory } from './runner/requests.js';
export { evaluateThresholds, metricValue } from './runner/thresholds.js';
export { createHistogram, decodeHistogram, encodeHistogram, latencyStats, percentileMs } from './metrics/histogram.js';
export { Tally, ServerTally } from './metrics/tally.js';
export { summarizeTally } from './metrics/stats.js';
export { describeEnvironment } from './environment.js';
export {
  benchmarkScenario,
  BENCHMARK_DEFAULTS,
  BENCHMARK_MODES,
  DEFAULT_REPORTERS,
  processScenario,
  resultsIn,
} from './seed/index.js';
export type { BenchmarkOptions, ProcessOptions } from './seed/index.js';
export { Balancer, BALANCER_CLOCKS, BALANCER_POLICIES, DEFAULT_BALANCER, blamesServer } from './engine/balancer.js';
export type { BalancerClocks, BalancerOptions, BalancerPolicy } from './engine/balancer.js';
export { compareResults, readResultsFile } from './compare.js';
export type { Comparison, ComparisonRow, ComparedCell } from './compare.js';
export { planDirectoryJob, taskMessage } from './jobs/job.js';
export type { DirectoryJob, DirectoryPlan } from './jobs/job.js';
export { resolvePreset, withDirectoryJob, workersConcurrency, PROCESS_DEFAULTS } from './jobs/directory.js';
export { BUILTIN_PRESETS, RESEARCH_PRESET, DIRECTORY_SYSTEM_PROMPT } from './jobs/presets.js';
export type { PresetPrompt } from './jobs/presets.js';
export { INDEX_FILE, readIndex } from './jobs/answers.js';
export type { IndexEntry } from './jobs/answers.js';
