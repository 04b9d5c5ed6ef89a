import type { Outcome } from './outcome.js';
import type { BenchRequest } from './types.js';

/** `Backend.send` with a callback: `done` is called once, with the outcome (synchronously is allowed). */
export type Dispatch = (request: BenchRequest, signal: AbortSignal, done: (outcome: Outcome) => void) => void;

type Send = (request: BenchRequest, signal: AbortSignal) => Promise<Outcome>;

const DISPATCH = Symbol.for('llmbench.dispatch');

/**
 * A `send` made from a callback-style `dispatch`, and carrying it: the engine's closed loop then runs
 * a request with no promise or microtask hop (at tens of thousands of requests a second, CPU the
 * server being measured keeps). The callback form travels with the function, so a plugin that wraps
 * a backend by giving it a `send` of its own is used through that `send`, never bypassed.
 */
export function sendFrom(dispatch: Dispatch): Send {
  const send: Send = (request, signal) => new Promise<Outcome>((resolve) => dispatch(request, signal, resolve));
  return Object.assign(send, { [DISPATCH]: dispatch });
}

/** The callback form a `send` made by `sendFrom` carries; undefined for any other `send`. */
export function dispatchOf(send: Send): Dispatch | undefined {
  return (send as Send & { [DISPATCH]?: Dispatch })[DISPATCH];
}
