export * from './define.js';
export * from './errors.js';
export * from './outcome.js';
export * from './results.js';
export type * from './types.js';
export { mulberry32, hashString, gaussian } from './random.js';
export { writeFileAtomic } from './files.js';
export { HEADLINE_METRICS, meanInterval, separable } from './metrics.js';
export type { HeadlineMetric, Interval } from './metrics.js';
