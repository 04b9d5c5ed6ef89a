import { z } from 'zod';
import {
  clientFor,
  OpenAIOptionsSchema,
  parsePrometheus,
  request,
  serverTokenizer,
  wrongServerMessage,
} from '@llmbench/backend-openai';
import { defineBackend, deltaRatio } from '@llmbench/plugin-api';
import { vllmReadings } from './prometheus.js';

export { parsePrometheus } from '@llmbench/backend-openai';
export { vllmReadings } from './prometheus.js';

export const DEFAULT_VLLM_URL = 'http://localhost:8000';

export const VllmOptionsSchema = OpenAIOptionsSchema.extend({
  base_url: z.url().optional().describe("Server origin (default: the server's url, else http://localhost:8000)."),
  ignore_eos: z.boolean().default(false).describe('vLLM: keep generating past EOS, so every request produces max_tokens tokens.'),
  min_tokens: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('vLLM: generate at least this many tokens before EOS may end the output.'),
  metrics_path: z
    .string()
    .default('/metrics')
    .describe('Prometheus endpoint, read at the start and end of every run and sampled about every second during it.'),
  scrape_metrics: z.boolean().default(true).describe('Read /metrics (prefix-cache hit rate, KV-cache usage, running/waiting).'),
  reset_prefix_cache: z
    .boolean()
    .default(false)
    .describe(
      'Empty the prefix cache (POST /reset_prefix_cache) before each experiment and sweep point, so none inherits the prompts an earlier one cached. vLLM serves that endpoint only when started with VLLM_SERVER_DEV_MODE=1.',
    ),
});

export type VllmOptions = z.output<typeof VllmOptionsSchema>;

/**
 * vLLM's OpenAI-compatible server (default http://localhost:8000), with vLLM's own request options
 * and its Prometheus metrics as server readings: prefix_cache_queries/hits (token counters: their
 * deltas give the hit rate), kv_cache_usage (0..1), requests_running/waiting, prompt/generation tokens.
 */
export default defineBackend({
  name: 'vllm',
  description: 'vLLM: OpenAI-compatible requests plus ignore_eos/min_tokens and /metrics (prefix cache, KV cache, queue).',
  derivedMetrics: [deltaRatio('prefix_cache_hit_rate', 'prefix_cache_hits', 'prefix_cache_queries')],
  options: VllmOptionsSchema,
  create(ctx, options) {
    const extra = {
      ...(options.ignore_eos ? { ignore_eos: true } : {}),
      ...(options.min_tokens === undefined ? {} : { min_tokens: options.min_tokens }),
      ...options.extra_body,
    };
    const { client, origin } = clientFor(ctx, { ...options, extra_body: extra }, DEFAULT_VLLM_URL);
    const headers = { ...options.headers, ...(options.api_key ? { authorization: `Bearer ${options.api_key}` } : {}) };
    /** One call beside the benchmark (metrics, cache reset): the body, or an error saying why not. */
    const call = async (method: 'GET' | 'POST', path: string, accepted: (status: number) => boolean): Promise<string> => {
      const res = await request(`${origin}${path}`, { method, headers, headersTimeout: 10_000, bodyTimeout: 10_000 });
      const text = await res.body.text();
      if (!accepted(res.statusCode)) throw new Error(`${method} ${path} answered ${res.statusCode}`);
      return text;
    };
    // A server that refuses these is still benchmarked; the user is told once what is missing.
    const warned = new Set<string>();
    const warnOnce = (what: string, message: string): void => {
      if (!warned.has(what)) ctx.logger.warn(`${ctx.server.id}: ${message}`);
      warned.add(what);
    };
    return {
      send: client.send,
      serverInfo: () => ({ url: origin }),
      tokenize: serverTokenizer(origin, headers, () => ctx.server.model),
      async prepare() {
        if (!options.reset_prefix_cache) return;
        try {
          await call('POST', '/reset_prefix_cache', (status) => status >= 200 && status < 300);
        } catch (error) {
          warnOnce(
            'reset',
            `cannot reset the prefix cache (${(error as Error).message}); experiments may hit prompts cached by earlier ones. Start vLLM with VLLM_SERVER_DEV_MODE=1 to allow it, or set reset_prefix_cache: false`,
          );
        }
      },
      async serverMetrics() {
        if (!options.scrape_metrics) return {};
        let samples: ReturnType<typeof parsePrometheus>;
        try {
          samples = parsePrometheus(await call('GET', options.metrics_path, (status) => status === 200));
        } catch (error) {
          warnOnce(
            'metrics',
            `cannot read vLLM metrics (${(error as Error).message}); no prefix-cache or KV-cache figures (set scrape_metrics: false to skip)`,
          );
          return {};
        }
        const wrong = wrongServerMessage(options.metrics_path, 'vllm:', samples);
        if (wrong !== undefined) warnOnce('family', wrong);
        return vllmReadings(samples);
      },
      teardown: () => client.close(),
    };
  },
});
