import type { Clock } from '@llmbench/plugin-api';

/**
 * Milliseconds from the process-wide monotonic clock (CLOCK_MONOTONIC via hrtime), the same in every
 * worker thread, so times taken in different threads can be compared and subtracted.
 */
export const monotonicClock: Clock = { now: () => Number(process.hrtime.bigint()) / 1e6 };
