import { z } from 'zod';
import { clientFor, OpenAIOptionsSchema, request } from '@llmbench/backend-openai';
import { defineBackend } from '@llmbench/plugin-api';

export const DEFAULT_LMSTUDIO_URL = 'http://localhost:1234';

export const LmStudioOptionsSchema = OpenAIOptionsSchema.omit({ path_prefix: true }).extend({
  api: z
    .enum(['openai', 'native'])
    .default('openai')
    .describe(
      "openai: /v1 endpoints (streams carry usage). native: /api/v0 endpoints, whose non-streamed responses carry LM Studio's own stats (time to first token, tokens/s).",
    ),
  check_model: z
    .boolean()
    .default(true)
    .describe(
      'At setup, look the model up in /api/v0/models and warn when it is not loaded (the first requests would include the load).',
    ),
});

export type LmStudioOptions = z.output<typeof LmStudioOptionsSchema>;

interface NativeModel {
  id: string;
  state?: string;
}

/** LM Studio's model list (GET /api/v0/models): id and load state ("loaded" | "not-loaded"). */
async function listModels(origin: string, headers: Record<string, string> | undefined): Promise<NativeModel[] | undefined> {
  const res = await request(`${origin}/api/v0/models`, {
    method: 'GET',
    ...(headers ? { headers } : {}),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) return undefined;
  const body = JSON.parse(text) as { data?: NativeModel[] };
  return Array.isArray(body.data) ? body.data : undefined;
}

/**
 * LM Studio (default http://localhost:1234, the seed's `type: lm_studio` workers). Requests go to the
 * OpenAI-compatible /v1 endpoints, or with `api: native` to /api/v0, where non-streamed responses
 * carry LM Studio's own stats (recorded as server TTFT and tokens/s). Server readings: how many
 * models are loaded and whether this server's model is.
 */
export default defineBackend({
  name: 'lmstudio',
  aliases: ['lm_studio'],
  description: 'LM Studio: OpenAI-compatible or native /api/v0 requests, server-side stats, model load state.',
  options: LmStudioOptionsSchema,
  create(ctx, options) {
    const { client, origin } = clientFor(
      ctx,
      { ...options, path_prefix: options.api === 'native' ? '/api/v0' : '/v1' },
      DEFAULT_LMSTUDIO_URL,
    );
    const headers = options.api_key ? { authorization: `Bearer ${options.api_key}` } : undefined;
    const model = ctx.server.model;
    return {
      async setup() {
        if (!options.check_model || model === undefined) return;
        const models = await listModels(origin, headers).catch(() => undefined);
        if (!models) return; // not LM Studio's native API (or an older one): nothing to check
        const entry = models.find((m) => m.id === model);
        if (!entry)
          ctx.logger.warn(
            `${ctx.server.id}: LM Studio lists no model "${model}" (have: ${models.map((m) => m.id).join(', ') || 'none'})`,
          );
        else if (entry.state !== 'loaded')
          ctx.logger.warn(
            `${ctx.server.id}: model "${model}" is ${entry.state ?? 'not loaded'}; the first requests will include loading it (use warmup)`,
          );
      },
      send: client.send,
      serverInfo: () => ({ url: origin }),
      async serverMetrics() {
        const models = await listModels(origin, headers).catch(() => undefined);
        if (!models) return {};
        const loaded = models.filter((m) => m.state === 'loaded');
        return {
          models_loaded: loaded.length,
          ...(model === undefined ? {} : { model_loaded: loaded.some((m) => m.id === model) ? 1 : 0 }),
        };
      },
      teardown: () => client.close(),
    };
  },
});
