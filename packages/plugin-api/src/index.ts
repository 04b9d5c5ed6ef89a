export * from './define.js';
export * from './errors.js';
export * from './outcome.js';
export * from './results.js';
export type * from './types.js';
export { mulberry32, hashString, gaussian } from './random.js';
export { writeFileAtomic } from './files.js';
export { HEADLINE_METRICS, judge, meanInterval, separable, TIE_WITHIN } from './metrics.js';
export type { HeadlineMetric, Interval, Verdict } from './metrics.js';
