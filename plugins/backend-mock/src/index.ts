import { z } from 'zod';
import { defineBackend, hashString, mulberry32, type Outcome } from '@llmbench/plugin-api';
import {
  AbortedError,
  delay,
  LatencyModelSchema,
  realScheduler,
  sampleLatency,
  SharedAccelerator,
  type Scheduler,
} from './model.js';

export { LatencyModelSchema, SharedAccelerator, sampleLatency, delay, realScheduler } from './model.js';
export type { LatencyModel, Scheduler } from './model.js';
export { startMockHttpServer, FaultsSchema, FAULT_KINDS } from './http.js';
export type { MockHttpServer, MockHttpServerOptions, MockHttpStats, FaultKind, FaultsConfig } from './http.js';
export { VllmKvCache, KvStepLoop, KvCacheSchema, blockHashes, tokenize } from './kv-cache.js';
export type { KvCacheConfig, Prefilled, StepResult } from './kv-cache.js';
export { DEFAULT_MOCK_PROFILE, DEFAULT_MOCK_SEED, MOCK_PROFILES, mockProfile, nthServerSeeds } from './profiles.js';
export type { MockProfile, MockProfileName } from './profiles.js';

export const MockOptionsSchema = z.strictObject({
  latency: LatencyModelSchema.default({ model: 'fixed', ms: 10 }).describe('How long requests take.'),
  output_tokens: z
    .number()
    .int()
    .positive()
    .default(16)
    .describe("An answer's natural length in tokens (before jitter in the shared model); the request's max_tokens caps it."),
  error_rate: z.number().min(0).max(1).default(0).describe('Fraction of requests answered with HTTP 500.'),
  seed: z
    .number()
    .int()
    .optional()
    .describe('Random seed (default: the scenario seed); always mixed with the server id so servers differ.'),
});

export type MockOptions = z.output<typeof MockOptionsSchema>;

/** What a request asks about its answer's length (vLLM's sampling parameters of the same names). */
export interface LengthLimits {
  readonly maxTokens?: number | undefined;
  readonly minTokens?: number | undefined;
  readonly ignoreEos?: boolean | undefined;
  /** Return the answer's text (`BenchRequest.keepText`). */
  readonly keepText?: boolean | undefined;
}

/** The mock's answer of `tokens` tokens, the same text the mock HTTP server sends: " tok0 tok1 ...". */
export function mockAnswer(tokens: number): string {
  let text = '';
  for (let i = 0; i < tokens; i++) text += ` tok${i}`;
  return text;
}

/**
 * The answer's length in tokens: the latency model's natural length, floored by `minTokens`, capped
 * by `maxTokens`; with `ignoreEos` exactly `maxTokens` (the model never stops on its own). Without
 * `maxTokens`, `ignoreEos` keeps the natural length: the mock has no context window to run into.
 */
export function answerLength(natural: number, limits?: LengthLimits): number {
  if (limits === undefined) return natural;
  const { maxTokens, minTokens, ignoreEos } = limits;
  if (ignoreEos && maxTokens !== undefined) return maxTokens;
  const floored = minTokens === undefined ? natural : Math.max(natural, minTokens);
  return maxTokens === undefined ? floored : Math.min(floored, maxTokens);
}

/** Why the answer ended: "length" when it reached `maxTokens`, else "stop" (the model's own end). */
export function finishReason(tokens: number, limits?: LengthLimits): 'length' | 'stop' {
  return limits?.maxTokens !== undefined && tokens >= limits.maxTokens ? 'length' : 'stop';
}

/**
 * The in-process mock server: no network, deterministic for a seed. Its counters (requests
 * received, requests in flight and the most ever in flight) are the server-side truth tests check
 * the engine against; they are reported as server metrics.
 */
export function createMockServer(options: MockOptions, seed: number, scheduler: Scheduler = realScheduler) {
  const random = mulberry32(seed);
  const latency = options.latency;
  const accelerator = latency.model === 'shared' ? new SharedAccelerator(latency, scheduler) : undefined;
  // requests_completed: answered (ok or injected error); requests_cancelled: the client gave up first.
  const counters = {
    requests_received: 0,
    requests_completed: 0,
    requests_cancelled: 0,
    errors_injected: 0,
    in_flight: 0,
    max_in_flight: 0,
    tokens_generated: 0,
  };

  /**
   * Serves one request. `onToken(i)` (when given) is called as each output token is produced:
   * evenly spread over the request's latency for the independent models, all at the end for the
   * shared accelerator (which models whole-request service time). `limits` set the answer's length
   * (`answerLength`); the time it takes follows that length in the tokens and shared models.
   */
  const handle = async (
    signal: AbortSignal,
    onToken?: (i: number, tokens: number) => void,
    limits?: LengthLimits,
  ): Promise<Outcome> => {
    counters.requests_received++;
    if (++counters.in_flight > counters.max_in_flight) counters.max_in_flight = counters.in_flight;
    try {
      const fail = options.error_rate > 0 && random() < options.error_rate;
      // The jitter is drawn whatever the limits, so the same seed gives the same draws either way.
      const natural =
        latency.model === 'shared'
          ? Math.max(1, Math.round(options.output_tokens * (1 + latency.jitter * (2 * random() - 1))))
          : options.output_tokens;
      const tokens = answerLength(natural, limits);
      if (latency.model === 'tokens') {
        if (onToken && !fail) {
          for (let i = 0; i < tokens; i++) {
            const ms = i === 0 ? latency.ttft_ms : latency.itl_ms;
            if (ms > 0) await delay(scheduler, ms, signal);
            onToken(i, tokens);
          }
        } else {
          const ms = latency.ttft_ms + (tokens - 1) * latency.itl_ms;
          if (ms > 0) await delay(scheduler, ms, signal);
        }
      } else if (latency.model === 'shared') {
        await accelerator!.generate(tokens, signal);
        if (onToken && !fail) for (let i = 0; i < tokens; i++) onToken(i, tokens);
      } else {
        const ms = sampleLatency(latency, random);
        if (onToken && !fail) {
          for (let i = 0; i < tokens; i++) {
            if (ms > 0) await delay(scheduler, ms / tokens, signal);
            onToken(i, tokens);
          }
        } else if (ms > 0) await delay(scheduler, ms, signal);
        else if (signal.aborted) throw new AbortedError('aborted');
      }
      counters.requests_completed++;
      if (fail) {
        counters.errors_injected++;
        return { kind: 'http_error', status: 500, message: 'injected error' };
      }
      counters.tokens_generated += tokens;
      return {
        kind: 'ok',
        status: 200,
        usage: { outputTokens: tokens, source: 'server' },
        ...(limits?.keepText ? { text: mockAnswer(tokens) } : {}),
      };
    } catch (error) {
      if (error instanceof AbortedError) {
        counters.requests_cancelled++;
        return { kind: 'aborted', message: 'cancelled' };
      }
      throw error;
    } finally {
      counters.in_flight--;
    }
  };
  return { handle, counters: counters as Readonly<typeof counters> };
}

export default defineBackend({
  name: 'mock',
  description: 'In-process mock server with fixed, random or shared-accelerator latency (no network).',
  // One simulated server per server entry: per-thread copies would be separate accelerators.
  placement: 'main',
  options: MockOptionsSchema,
  create(ctx, options) {
    const server = createMockServer(options, ((options.seed ?? ctx.seed) ^ hashString(ctx.server.id)) >>> 0);
    return {
      // A BenchRequest is a LengthLimits: its maxTokens caps the answer.
      send: (request, signal) => server.handle(signal, undefined, request),
      serverMetrics: () => ({ ...server.counters }),
    };
  },
});
