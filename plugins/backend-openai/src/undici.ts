import { createRequire } from 'node:module';
import type { Client as UndiciClient, request as undiciRequest } from 'undici';

/**
 * The parts of undici this plugin uses, without undici's index: importing it loads fetch, the
 * cache, cookies, mocks and every dispatcher, ~70 ms of CPU in each thread that loads a backend,
 * where sending needs only the HTTP/1.1 `Client` (~35 ms). The test checks that this is undici's
 * own exported class, so an upgrade that moves the file fails there and not in a run.
 */
export const Client = createRequire(import.meta.url)('undici/lib/dispatcher/client.js') as typeof UndiciClient;
export type Client = UndiciClient;

let undici: Promise<typeof import('undici')> | undefined;

/**
 * undici's `request`, with undici loaded on its first call. Setup, metrics and tokenize calls use
 * it: they run in the main thread before and after the load, never on the sending path.
 */
export async function request(...args: Parameters<typeof undiciRequest>): ReturnType<typeof undiciRequest> {
  undici ??= import('undici');
  return (await undici).request(...args);
}
