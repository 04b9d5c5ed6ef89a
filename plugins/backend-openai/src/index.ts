import { defineBackend, type BackendContext } from '@llmbench/plugin-api';
import { OpenAIClient } from './client.js';
import { OpenAIOptionsSchema, type OpenAIOptions } from './options.js';
import { serverTokenizer } from './tokenize.js';

export { OpenAIClient, ResponseHandler, outcomeOf, serverTimingOf } from './client.js';
export type { ClientHooks } from './client.js';
export { ConnectionPool, Connection, closedByPeer } from './connections.js';
export { OpenAIOptionsSchema } from './options.js';
export type { OpenAIOptions } from './options.js';
export { SseParser } from './sse.js';
export type { SseBytesReader } from './sse.js';
export { EventTemplate, chunkText } from './template.js';
export type { StreamChunk } from './template.js';
export { serverTokenizer } from './tokenize.js';
export { request } from './undici.js';

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8000';

/**
 * The client a backend uses for one server: origin from `base_url`, else the server's url, else
 * `defaultUrl`; sockets per thread from `connections`, else the server's max_concurrent_requests,
 * else 128; the server's `model` (if any) wins over the workload's; a URL's userinfo becomes basic
 * auth. A server that closes its
 * connections after answering is reported through `ctx.logger` once it is seen doing so.
 */
export function clientFor(
  ctx: BackendContext,
  options: OpenAIOptions,
  defaultUrl: string,
): { client: OpenAIClient; origin: string } {
  const target = new URL(options.base_url ?? ctx.server.url ?? defaultUrl);
  const origin = target.origin;
  // A URL's user and password (http://user:pass@host) are sent as HTTP basic auth, unless the
  // scenario sets api_key or its own authorization header.
  const custom = Object.keys(options.headers).some((h) => h.toLowerCase() === 'authorization');
  if (target.username && !options.api_key && !custom) {
    const basic = Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64');
    options = { ...options, headers: { authorization: `Basic ${basic}`, ...options.headers } };
  }
  const cap = ctx.server.maxConcurrentRequests;
  const connections = options.connections ?? (Number.isFinite(cap) ? cap : 128);
  const onNoReuse = (kind: string): void =>
    ctx.logger.warn(
      `${ctx.server.id}: the server closes its connection after every ${kind} answer although it offers keep-alive; sending ${kind} requests with "connection: close" (no reuse) from now on`,
    );
  return { client: new OpenAIClient(options, origin, ctx.clock, connections, ctx.server.model, { onNoReuse }), origin };
}

export default defineBackend({
  name: 'openai',
  description: 'Any OpenAI-compatible server: /v1/chat/completions or /v1/completions, JSON or SSE.',
  options: OpenAIOptionsSchema,
  create(ctx, options) {
    const { client, origin } = clientFor(ctx, options, DEFAULT_BASE_URL);
    const headers = { ...options.headers, ...(options.api_key ? { authorization: `Bearer ${options.api_key}` } : {}) };
    return {
      send: client.send,
      serverInfo: () => ({ url: origin }),
      tokenize: serverTokenizer(origin, headers, () => ctx.server.model),
      teardown: () => client.close(),
    };
  },
});
export {
  METRIC_FAMILIES,
  metricFamilies,
  parsePrometheus,
  pickMetric,
  wrongServerMessage,
  type Aggregate,
  type MetricFamily,
} from './prometheus.js';
