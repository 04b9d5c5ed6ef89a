/**
 * What `llmbench mock-server --profile` starts. All profiles speak every dialect (OpenAI /v1, vLLM
 * /metrics); they differ in port and in how the simulated server behaves. The vllm profile is a
 * shared GPU whose step time grows with the batch, so 50 in flight buy throughput with latency, as in
 * the batch-vs-semaphore study.
 */
export interface MockProfile {
  readonly port: number;
  /** Mock options over the mock's own defaults (`MockOptionsSchema`). */
  readonly mock: Readonly<Record<string, unknown>>;
  /** Prefill cost: ms per 1,000 prompt tokens not in the prefix cache. */
  readonly prefillMsPer1kTokens: number;
  /** What sets it apart, for `--help`. */
  readonly note?: string;
}

export const MOCK_PROFILES = {
  openai: { port: 8000, mock: {}, prefillMsPer1kTokens: 0 },
  vllm: {
    port: 8000,
    mock: { latency: { model: 'shared', step_ms: 0.12, per_request_ms: 0.03, jitter: 0.2 }, output_tokens: 16 },
    prefillMsPer1kTokens: 10,
    note: 'shared-GPU latency',
  },
  lmstudio: {
    port: 1234,
    mock: { latency: { model: 'tokens', ttft_ms: 40, itl_ms: 20 }, output_tokens: 16 },
    prefillMsPer1kTokens: 40,
  },
} as const satisfies Record<string, MockProfile>;

export type MockProfileName = keyof typeof MOCK_PROFILES;

export const DEFAULT_MOCK_PROFILE: MockProfileName = 'openai';

/** The mock HTTP server's seed when its options give none. */
export const DEFAULT_MOCK_SEED = 1;

export function mockProfile(name: string): MockProfile | undefined {
  return Object.hasOwn(MOCK_PROFILES, name) ? MOCK_PROFILES[name as MockProfileName] : undefined;
}

/**
 * The seeds of server `index` (from 0) of several started together: each its own mock and fault
 * seed, so N servers are N machines, not N copies of one.
 */
export function nthServerSeeds(
  seeds: { mock?: number | undefined; faults: number },
  index: number,
): { mock: number; faults: number } {
  return { mock: (seeds.mock ?? DEFAULT_MOCK_SEED) + index, faults: seeds.faults + index };
}
