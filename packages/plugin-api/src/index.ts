export * from './define.js';
export * from './errors.js';
export * from './outcome.js';
export * from './results.js';
export type * from './types.js';
export { mulberry32, hashString, gaussian, gamma } from './random.js';
export { checkWritable, ensureDir, writeFileAtomic } from './files.js';
export { DeadlineQueue } from './deadlines.js';
export { dispatchOf, sendFrom, type Dispatch } from './dispatch.js';
export type { Expiring } from './deadlines.js';
export { APPROXIMATE, approximateMark } from './format.js';
export {
  connectionNotes,
  HEADLINE_METRICS,
  judge,
  LOW_SUCCESS_RATE,
  meanInterval,
  PROVENANCE_TEXT,
  runWarnings,
  separable,
  TIE_WITHIN,
  tokenProvenance,
} from './metrics.js';
export type { HeadlineMetric, Interval, TokenProvenance, Verdict } from './metrics.js';
