// tiny-completions.mjs: a backend for any server with an OpenAI-style POST /v1/completions (JSON or SSE).
import { z } from 'zod';
import { defineBackend, deltaRatio } from '@llmbench/plugin-api';

/** A fetch failure as an outcome: cancelled by llmbench, or the connection went wrong. */
function failed(error, signal) {
  if (signal?.aborted) return { kind: 'aborted', message: 'cancelled' };
  // fetch rejects with TypeError("fetch failed") / ("terminated"); the socket error is its cause.
  const cause = error?.cause;
  return { kind: 'connection_error', ...(cause?.code ? { code: cause.code } : {}), message: cause?.message ?? String(error) };
}

/** The server's usage object as llmbench's TokenUsage. */
function tokenUsage(usage) {
  return usage
    ? {
        inputTokens: usage.prompt_tokens,
        outputTokens: usage.completion_tokens,
        cachedTokens: usage.prompt_tokens_details?.cached_tokens,
        source: 'server',
      }
    : { source: 'none' };
}

/**
 * Reads an SSE answer: the time each chunk with choices arrived (taken when its bytes arrive, on
 * ctx.clock) and the usage the server sends in its last chunk. A stream that breaks off, or an event that is
 * not JSON, is a protocol_error.
 */
async function readStream(res, clock, sentAt) {
  const decoder = new TextDecoder();
  const chunkTimes = [];
  let usage;
  let buffered = '';
  for await (const bytes of res.body) {
    const at = clock.now();
    buffered += decoder.decode(bytes, { stream: true });
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const data = buffered
        .slice(0, end)
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n');
      buffered = buffered.slice(end + 2);
      if (data === '[DONE]')
        return { kind: 'ok', status: res.status, usage: tokenUsage(usage), sentAt, firstTokenAt: chunkTimes[0], chunkTimes };
      let chunk;
      try {
        chunk = JSON.parse(data);
      } catch {
        return { kind: 'protocol_error', message: `stream event is not valid JSON: ${data.slice(0, 80)}` };
      }
      if (chunk.choices?.length > 0) chunkTimes.push(at);
      if (chunk.usage) usage = chunk.usage;
    }
  }
  return { kind: 'protocol_error', message: 'stream ended before data: [DONE]' };
}

export default defineBackend({
  name: 'tiny-completions',
  description: 'POST <origin>/v1/completions with fetch; a JSON answer, or SSE when the workload streams.',
  // No `placement`: 'worker', one instance per server in every worker thread (plus one in the main thread).
  // No `streams: false`: it streams when asked (request.stream), so the contract kit checks that too.
  // Of its readings (serverMetrics), the two prefix-cache counters give the run's hit rate.
  derivedMetrics: [deltaRatio('prefix_cache_hit_rate', 'prefix_cache_hits', 'prefix_cache_queries')],
  options: z.strictObject({
    base_url: z.url().optional().describe("Server origin (default: the server's url, else http://127.0.0.1:8000)."),
    api_key: z.string().optional().describe('Sent as "Authorization: Bearer <key>".'),
    stats_path: z.string().optional().describe('GET this path for server readings, e.g. /llmbench/stats.'),
  }),
  create(ctx, options) {
    const origin = new URL(options.base_url ?? ctx.server.url ?? 'http://127.0.0.1:8000').origin;
    const headers = {
      'content-type': 'application/json',
      ...(options.api_key ? { authorization: `Bearer ${options.api_key}` } : {}),
    };
    const model = ctx.server.model;

    return {
      async setup() {
        // Called on every instance (main thread and each worker thread). A throw here stops the run.
        const res = await fetch(`${origin}/v1/models`, { headers });
        await res.body?.cancel();
        if (!res.ok) throw new Error(`GET ${origin}/v1/models answered ${res.status}`);
      },

      async send(request, signal) {
        const body = JSON.stringify({
          ...((model ?? request.model) === undefined ? {} : { model: model ?? request.model }),
          prompt: request.messages.map((m) => m.content).join('\n\n'),
          ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
          ...(request.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        });
        try {
          const sentAt = ctx.clock.now();
          const res = await fetch(`${origin}/v1/completions`, { method: 'POST', headers, body, signal });
          if (!res.ok) {
            const text = await res.text();
            const retryAfter = Number(res.headers.get('retry-after') ?? Number.NaN);
            return {
              kind: 'http_error',
              status: res.status,
              message: text.slice(0, 200),
              ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}),
            };
          }
          if (request.stream) return await readStream(res, ctx.clock, sentAt);
          const text = await res.text();
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            return { kind: 'protocol_error', message: 'response is not valid JSON' };
          }
          if (!Array.isArray(json?.choices)) return { kind: 'protocol_error', message: 'response has no choices' };
          return { kind: 'ok', status: res.status, usage: tokenUsage(json.usage), sentAt };
        } catch (error) {
          return failed(error, signal);
        }
      },

      // Only the main-thread instance is asked (before, during and after each measured run): read
      // the numbers from the server, not from counters this instance keeps (it sends nothing).
      async serverMetrics() {
        if (options.stats_path === undefined) return {};
        const res = await fetch(`${origin}${options.stats_path}`, { headers });
        if (!res.ok) throw new Error(`GET ${options.stats_path} answered ${res.status}`);
        const stats = await res.json();
        return Object.fromEntries(Object.entries(stats).filter(([, v]) => typeof v === 'number'));
      },
    };
  },
});
