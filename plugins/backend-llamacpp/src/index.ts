import { z } from 'zod';
import {
  clientFor,
  OpenAIOptionsSchema,
  parsePrometheus,
  request,
  serverTokenizer,
  wrongServerMessage,
} from '@llmbench/backend-openai';
import { defineBackend, deltaRatio, type MetricReadings, type ServerInfo } from '@llmbench/plugin-api';
import { llamacppReadings } from './metrics.js';

export { llamacppReadings } from './metrics.js';

/** llama-server's own default address (`--host 127.0.0.1 --port 8080`). */
export const DEFAULT_LLAMACPP_URL = 'http://127.0.0.1:8080';

export const LlamaCppOptionsSchema = OpenAIOptionsSchema.extend({
  base_url: z
    .url()
    .optional()
    .describe("Server origin (default: the server's url, else http://127.0.0.1:8080, llama-server's default)."),
  ignore_eos: z
    .boolean()
    .default(false)
    .describe('llama.cpp: keep generating past EOS, so every request produces max_tokens tokens.'),
  cache_prompt: z
    .boolean()
    .optional()
    .describe(
      "llama.cpp: reuse the KV cache of a slot's earlier prompt, so only the new suffix is processed (server default: true). false makes every request process its whole prompt.",
    ),
  n_cache_reuse: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe(
      'llama.cpp: smallest chunk (tokens) reused from the cache by KV shifting, as the --cache-reuse flag per request (0 = off).',
    ),
  metrics_path: z
    .string()
    .default('/metrics')
    .describe(
      'Prometheus endpoint (llama-server --metrics), read at the start and end of every run and sampled about every second during it.',
    ),
  scrape_metrics: z
    .boolean()
    .default(true)
    .describe('Read /metrics (prompt-cache hit rate, tokens processed and predicted, requests processing/deferred).'),
  sample_slots: z
    .boolean()
    .default(true)
    .describe(
      'Also read /slots with every scrape: slots_processing, the slots busy with a request. Skipped silently when the server has it off (--no-slots).',
    ),
  erase_slots: z
    .boolean()
    .default(false)
    .describe(
      "Erase every slot's prompt cache (POST /slots/<id>?action=erase) before each experiment and sweep point, so none inherits the prompts an earlier one cached. llama-server allows it only when started with --slot-save-path; its host-memory prompt cache (--cache-ram) is not erased: start it with --cache-ram 0 as well.",
    ),
});

export type LlamaCppOptions = z.output<typeof LlamaCppOptionsSchema>;

interface Props {
  total_slots?: unknown;
  model_alias?: unknown;
  model_path?: unknown;
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * llama.cpp's own server, `llama-server` (default http://127.0.0.1:8080): OpenAI-compatible requests
 * with llama.cpp's request options; server readings from /metrics (prompt tokens processed and
 * reused from the cache, as the prefix_cache_hits/queries pair, tokens predicted, requests processing
 * and deferred) and /slots (slots_processing); /props says how many slots it has and its model.
 */
export default defineBackend({
  name: 'llamacpp',
  aliases: ['llama_cpp'],
  description:
    'llama.cpp llama-server: OpenAI-compatible requests plus ignore_eos/cache_prompt, /metrics and /slots readings, slots and model from /props.',
  derivedMetrics: [deltaRatio('prefix_cache_hit_rate', 'prefix_cache_hits', 'prefix_cache_queries')],
  options: LlamaCppOptionsSchema,
  create(ctx, options) {
    const extra = {
      ...(options.ignore_eos ? { ignore_eos: true } : {}),
      ...(options.cache_prompt === undefined ? {} : { cache_prompt: options.cache_prompt }),
      ...(options.n_cache_reuse === undefined ? {} : { n_cache_reuse: options.n_cache_reuse }),
      ...options.extra_body,
    };
    const { client, origin } = clientFor(ctx, { ...options, extra_body: extra }, DEFAULT_LLAMACPP_URL);
    const headers = { ...options.headers, ...(options.api_key ? { authorization: `Bearer ${options.api_key}` } : {}) };
    /** One call beside the benchmark (metrics, slots, props): the status and body. */
    const call = async (method: 'GET' | 'POST', path: string): Promise<{ status: number; body: string }> => {
      const res = await request(`${origin}${path}`, { method, headers, headersTimeout: 10_000, bodyTimeout: 10_000 });
      return { status: res.statusCode, body: await res.body.text() };
    };
    /** The body of a 2xx answer, or an error saying what the server answered instead (with llama.cpp's reason). */
    const fetchOk = async (method: 'GET' | 'POST', path: string): Promise<string> => {
      const { status, body } = await call(method, path);
      if (status < 200 || status >= 300) throw new Error(`${method} ${path} answered ${status}${reasonOf(body)}`);
      return body;
    };
    const json = async <T>(path: string): Promise<T> => JSON.parse(await fetchOk('GET', path)) as T;
    // A server that refuses these is still benchmarked; the user is told once what is missing.
    const warned = new Set<string>();
    const warnOnce = (what: string, message: string): void => {
      if (!warned.has(what)) ctx.logger.warn(`${ctx.server.id}: ${message}`);
      warned.add(what);
    };
    let slotsOff = false;

    const scrape = async (): Promise<MetricReadings> => {
      if (!options.scrape_metrics) return {};
      let text: string;
      try {
        text = await fetchOk('GET', options.metrics_path);
      } catch (error) {
        warnOnce(
          'metrics',
          `cannot read llama.cpp metrics (${(error as Error).message}); no prompt-cache figures (start llama-server with --metrics, or set scrape_metrics: false)`,
        );
        return {};
      }
      const samples = parsePrometheus(text);
      const wrong = wrongServerMessage(options.metrics_path, 'llamacpp:', samples);
      if (wrong !== undefined) warnOnce('family', wrong);
      return llamacppReadings(samples);
    };

    const sampleSlots = async (): Promise<MetricReadings> => {
      if (!options.sample_slots || slotsOff) return {};
      try {
        const { status, body } = await call('GET', '/slots');
        // --no-slots answers 501; a server without the endpoint, 404: nothing to sample, nothing to say.
        if (status === 404 || status === 501) {
          slotsOff = true;
          return {};
        }
        if (status !== 200) throw new Error(`GET /slots answered ${status}${reasonOf(body)}`);
        const slots = JSON.parse(body) as unknown;
        if (!Array.isArray(slots)) throw new Error('GET /slots answered without a list of slots');
        return {
          slots_processing: slots.filter((s) => (s as { is_processing?: unknown } | null)?.is_processing === true).length,
        };
      } catch (error) {
        warnOnce(
          'slots',
          `cannot read /slots (${(error as Error).message}); no slots_processing (set sample_slots: false to skip)`,
        );
        return {};
      }
    };

    return {
      send: client.send,
      tokenize: serverTokenizer(origin, headers, () => ctx.server.model),
      async serverInfo(): Promise<ServerInfo> {
        let props: Props | undefined;
        let propsError: string | undefined;
        try {
          props = await json<Props>('/props');
        } catch (error) {
          propsError = (error as Error).message;
        }
        const slots = props?.total_slots;
        const alias = nonEmpty(props?.model_alias);
        const path = nonEmpty(props?.model_path);
        let model = alias ?? (path === undefined ? undefined : path.split(/[\\/]/).pop());
        let modelsError: string | undefined;
        if (model === undefined) {
          try {
            model = nonEmpty((await json<{ data?: { id?: unknown }[] }>(`${options.path_prefix}/models`)).data?.[0]?.id);
          } catch (error) {
            modelsError = (error as Error).message;
          }
        }
        if (propsError !== undefined) {
          warnOnce(
            'props',
            `cannot read /props (${propsError}${modelsError === undefined ? '' : `; ${modelsError}`}); max_concurrent_requests${model === undefined ? ' and the model' : ''} stay as the scenario sets them`,
          );
        }
        return {
          url: origin,
          ...(model === undefined ? {} : { model }),
          ...(typeof slots === 'number' && Number.isInteger(slots) && slots > 0 ? { maxConcurrentRequests: slots } : {}),
        };
      },
      async prepare() {
        if (!options.erase_slots) return;
        try {
          const slots = (await json<Props>('/props')).total_slots;
          if (typeof slots !== 'number' || !Number.isInteger(slots) || slots <= 0)
            throw new Error('GET /props answered without total_slots');
          for (let id = 0; id < slots; id++) await fetchOk('POST', `/slots/${id}?action=erase`);
        } catch (error) {
          warnOnce(
            'erase',
            `cannot erase the slots' prompt cache (${(error as Error).message}); experiments may reuse prompts cached by earlier ones. Start llama-server with --slot-save-path DIR to allow it, or set erase_slots: false`,
          );
        }
      },
      async serverMetrics() {
        const [metrics, slots] = await Promise.all([scrape(), sampleSlots()]);
        return { ...metrics, ...slots };
      },
      teardown: () => client.close(),
    };
  },
});

/** llama.cpp's error message from an error body (`{"error":{"message":...}}`), as ": <message>". */
function reasonOf(body: string): string {
  try {
    const message = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') return `: ${message.slice(0, 160)}`;
  } catch {
    // not JSON (a proxy's page, a plain-text 404): the status says enough
  }
  return '';
}
