export * from './define.js';
export * from './errors.js';
export * from './outcome.js';
export * from './results.js';
export type * from './types.js';
export { mulberry32, hashString, gaussian } from './random.js';
export { writeFileAtomic } from './files.js';
