export * from './define.js';
export * from './errors.js';
export * from './outcome.js';
export * from './results.js';
export type * from './types.js';
