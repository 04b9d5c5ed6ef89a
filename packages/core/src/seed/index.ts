/**
 * Compatibility with the seed scripts and files llmbench replaces (the workers file's `type:`
 * values are declared by the backends as their `aliases`): what their commands run, the reports a
 * scenario gets when it names none, and where results sit in the seed-style JSON. The only part of
 * core that names plugins and their options (tools/workspace-checks enforces it).
 */
export { benchmarkScenario, BENCHMARK_DEFAULTS, BENCHMARK_MODES } from './benchmark.js';
export type { BenchmarkOptions } from './benchmark.js';
export { processScenario } from './process.js';
export type { ProcessOptions } from './process.js';
export { DEFAULT_REPORTERS } from './reporters.js';
export { resultsIn } from './results.js';
