import { Pool, type Dispatcher } from 'undici';
import { z } from 'zod';
import { DeadlineQueue, defineBackend, type BackendContext, type BenchRequest, type Clock, type Outcome, type ServerTiming, type Expiring, type TokenUsage } from '@llmbench/plugin-api';
import { SseParser } from './sse.js';

export { SseParser } from './sse.js';

export const OpenAIOptionsSchema = z.strictObject({
  base_url: z.url().optional().describe("Server origin, e.g. http://127.0.0.1:8000 (default: the server's url, else http://127.0.0.1:8000)."),
  path_prefix: z.string().default('/v1').describe('Prefix of the API paths.'),
  endpoint: z.enum(['chat', 'completions']).default('chat').describe('/chat/completions (messages) or /completions (prompt).'),
  api_key: z.string().optional().describe('Sent as "Authorization: Bearer <key>"; use ${env:NAME}.'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
  include_usage: z.boolean().default(true).describe('Ask streamed responses for a final usage chunk (stream_options.include_usage).'),
  extra_body: z.record(z.string(), z.unknown()).default({}).describe('Fields merged into every request body.'),
  connections: z.number().int().positive().optional().describe("Sockets per thread (default: the server's max_concurrent_requests, else 128)."),
  connect_timeout_ms: z.number().int().positive().default(10_000),
  first_byte_timeout_ms: z.number().int().positive().default(300_000).describe('Time to response headers.'),
});

export type OpenAIOptions = z.output<typeof OpenAIOptionsSchema>;

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8000';

/**
 * An OpenAI-compatible client for the load engine. Request bodies are built once per prompt; the
 * response is read through undici's dispatch handler API (no stream objects per response), SSE is
 * parsed incrementally, and every result becomes an Outcome.
 */
export class OpenAIClient {
  private readonly pool: Pool;
  private readonly firstByte: DeadlineQueue<ResponseHandler>;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly bodies = new WeakMap<readonly unknown[], Buffer>();

  constructor(
    readonly options: OpenAIOptions,
    readonly origin: string,
    private readonly clock: Clock,
    connections: number,
    private readonly defaultModel?: string,
  ) {
    this.pool = new Pool(origin, {
      connections,
      connectTimeout: options.connect_timeout_ms,
      // undici checks its headers timeout on a ~1 s tick (a 100 ms limit fired after ~1 s): the
      // first-byte deadline is kept here instead, within a tenth of the limit.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 60_000,
    });
    const message = `no response headers within ${options.first_byte_timeout_ms} ms`;
    this.firstByte = new DeadlineQueue<ResponseHandler>(clock, options.first_byte_timeout_ms, (handler) => handler.timedOut(message));
    this.path = `${options.path_prefix}/${options.endpoint === 'chat' ? 'chat/completions' : 'completions'}`;
    this.headers = {
      'content-type': 'application/json',
      ...(options.api_key ? { authorization: `Bearer ${options.api_key}` } : {}),
      ...options.headers,
    };
  }

  /** The JSON body for a request, built once per message array (prompts are reused across requests). */
  body(request: BenchRequest): Buffer {
    let body = this.bodies.get(request.messages);
    if (!body) {
      const model = this.defaultModel ?? request.model;
      const value: Record<string, unknown> = {
        ...(model === undefined ? {} : { model }),
        ...(this.options.endpoint === 'chat'
          ? { messages: request.messages }
          : { prompt: request.messages.map((m) => m.content).join('\n\n') }),
        ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        ...(request.stream ? { stream: true, ...(this.options.include_usage ? { stream_options: { include_usage: true } } : {}) } : {}),
        ...this.options.extra_body,
      };
      body = Buffer.from(JSON.stringify(value));
      this.bodies.set(request.messages, body);
    }
    return body;
  }

  send(request: BenchRequest, signal: AbortSignal): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const body = this.body(request);
      // As vLLM's benchmark: the clock starts as the request is handed to the HTTP client, after our
      // own bookkeeping, and every time below is taken as bytes arrive, before any parsing.
      const sentAt = this.clock.now();
      const handler = new ResponseHandler(request.stream, this.clock, resolve, signal, this.firstByte, sentAt);
      this.pool.dispatch({ method: 'POST', path: this.path, headers: this.headers, body }, handler);
    });
  }

  /** Ends everything: a request still waiting for its first byte has no timer left to end it. */
  close(): Promise<void> {
    this.firstByte.close();
    return this.pool.destroy();
  }
}

/** Collects one response and settles it as an Outcome. Expiring: its first-byte deadline. */
class ResponseHandler implements Dispatcher.DispatchHandler, Expiring {
  /** Whether the first-byte deadline no longer applies: not yet on a connection, or the first byte came, or the request ended. */
  done = true;
  deadline = Infinity;
  private status = 0;
  private retryAfterMs: number | undefined;
  private chunks: Buffer[] = [];
  private settled = false;
  private sse: SseParser | undefined;
  /** Arrival time of the bytes being handled now; -1 between socket reads. */
  private readAt = -1;
  private arrivedAt = 0;
  private readonly readDone = (): void => {
    this.readAt = -1;
  };
  private firstTokenAt: number | undefined;
  private chunkTimes: number[] | undefined;
  private counted = 0;
  private usage: TokenUsage | undefined;
  private sawDone = false;
  private streamError: string | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private readonly onAbort = (): void => this.controller?.abort(new DOMException('aborted', 'AbortError'));

  constructor(
    private readonly stream: boolean,
    private readonly clock: Clock,
    private readonly resolve: (o: Outcome) => void,
    private readonly signal: AbortSignal,
    private readonly firstByte: DeadlineQueue<ResponseHandler>,
    readonly sentAt: number,
  ) {}

  /** The first-byte deadline passed: stop the request and say so. */
  timedOut(message: string): void {
    this.settle({ kind: 'timeout', phase: 'first_byte', message });
    this.controller?.abort(new DOMException(message, 'TimeoutError'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) return controller.abort(new DOMException('aborted', 'AbortError'));
    this.signal.addEventListener('abort', this.onAbort, { once: true });
    // The first-byte limit runs from here, as the request goes onto a connection, like undici's own
    // headersTimeout: waiting for a free connection is the whole-request timeout's business.
    this.deadline = this.firstByte.deadline();
    this.done = false;
    this.firstByte.add(this);
  }

  /**
   * When the bytes now being handled arrived. undici calls this handler synchronously for everything
   * one socket read holds (headers, data, end), so the first call of a read stamps it and the rest
   * share that time: parsing earlier parts of a read is not charged to later ones. A microtask cannot
   * run inside a read, so it marks the read's end.
   */
  private arrival(): number {
    if (this.readAt < 0) {
      this.readAt = this.clock.now();
      queueMicrotask(this.readDone);
    }
    return this.readAt;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.arrival();
    this.firstByte.settle(this);
    this.status = statusCode;
    if (statusCode >= 200 && statusCode < 300 && this.stream) {
      this.sse = new SseParser((payload) => this.event(payload));
    } else if (statusCode === 429 || statusCode === 503) {
      const retry = headers['retry-after'];
      const seconds = Number(Array.isArray(retry) ? retry[0] : retry);
      if (Number.isFinite(seconds)) this.retryAfterMs = seconds * 1000;
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.arrivedAt = this.arrival();
    if (this.sse) this.sse.push(chunk);
    else this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const endedAt = this.arrival();
    if (this.status < 200 || this.status >= 300) {
      return this.settle({ kind: 'http_error', status: this.status, message: errorMessage(Buffer.concat(this.chunks).toString('utf8')), ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }) });
    }
    if (this.sse) {
      this.sse.end();
      if (this.streamError) return this.settle({ kind: 'protocol_error', message: this.streamError });
      if (!this.sawDone) return this.settle({ kind: 'protocol_error', message: 'stream ended without data: [DONE]' });
      return this.settle({
        kind: 'ok',
        status: this.status,
        sentAt: this.sentAt,
        endedAt,
        usage: this.usage ?? { outputTokens: this.counted, source: 'counted' },
        firstTokenAt: this.firstTokenAt,
        chunkTimes: this.chunkTimes,
      } as Outcome);
    }
    let parsed: { choices?: unknown; usage?: RawUsage; stats?: { time_to_first_token?: unknown; tokens_per_second?: unknown } };
    try {
      const text = this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      return this.settle({ kind: 'protocol_error', message: 'response is not valid JSON' });
    }
    if (!Array.isArray(parsed.choices)) return this.settle({ kind: 'protocol_error', message: 'response has no choices' });
    this.settle({ kind: 'ok', status: this.status, sentAt: this.sentAt, endedAt, usage: usageOf(parsed.usage), firstTokenAt: undefined, serverTiming: serverTimingOf(parsed.stats) } as Outcome);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (!this.settled) this.settle(outcomeOf(error));
  }

  private event(payload: string): void {
    if (this.sawDone || this.streamError) return;
    if (payload === '[DONE]') {
      this.sawDone = true;
      return;
    }
    let chunk: { choices?: { delta?: { content?: string | null }; text?: string }[]; usage?: RawUsage | null };
    try {
      chunk = JSON.parse(payload) as typeof chunk;
    } catch {
      this.streamError = `malformed SSE data: ${payload.slice(0, 60)}`;
      return;
    }
    // As vLLM's benchmark: every chunk with choices is a token event (TTFT at the first, ITL between
    // them); the usage chunk has none. Non-empty content counts as a token when the server sends no usage.
    const choice = chunk.choices?.[0];
    if (choice) {
      const at = this.arrivedAt;
      this.firstTokenAt ??= at;
      (this.chunkTimes ??= []).push(at);
      const text = choice.delta?.content ?? choice.text;
      if (typeof text === 'string' && text.length > 0) this.counted++;
    }
    if (chunk.usage) this.usage = usageOf(chunk.usage);
  }

  private settle(outcome: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    this.firstByte.settle(this);
    this.chunks = []; // the deadline queue may hold this handler a while: not its body
    // The signal belongs to this request alone and is dropped with it: no need to detach.
    this.resolve(outcome);
  }
}

interface RawUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

function usageOf(raw: RawUsage | undefined | null): TokenUsage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const cached = raw.prompt_tokens_details?.cached_tokens;
  return {
    inputTokens: typeof raw.prompt_tokens === 'number' ? raw.prompt_tokens : undefined,
    outputTokens: typeof raw.completion_tokens === 'number' ? raw.completion_tokens : undefined,
    cachedTokens: typeof cached === 'number' ? cached : undefined,
    source: 'server',
  } as TokenUsage;
}

/** LM Studio's native `stats` (seconds and tokens/s), when a response carries them. */
function serverTimingOf(stats: { time_to_first_token?: unknown; tokens_per_second?: unknown } | undefined): ServerTiming | undefined {
  if (!stats || typeof stats !== 'object') return undefined;
  const ttft = typeof stats.time_to_first_token === 'number' ? stats.time_to_first_token * 1000 : undefined;
  const tps = typeof stats.tokens_per_second === 'number' ? stats.tokens_per_second : undefined;
  return ttft === undefined && tps === undefined ? undefined : ({ ttftMs: ttft, tokensPerSecond: tps } as ServerTiming);
}

function errorMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof message === 'string') return message.slice(0, 200);
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim().slice(0, 200) || undefined;
}

/** undici errors by code: timeouts by phase, socket trouble as connection errors. */
export function outcomeOf(error: Error): Outcome {
  // DOMExceptions carry a numeric legacy `code`: only undici's and Node's string codes mean anything here.
  const raw = (error as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : undefined;
  if (error.name === 'AbortError' || code === 'UND_ERR_ABORTED') return { kind: 'aborted', message: error.message };
  if (error.name === 'TimeoutError') return { kind: 'timeout', phase: 'total', message: error.message };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { kind: 'timeout', phase: 'connect', message: error.message };
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return { kind: 'timeout', phase: 'first_byte', message: error.message };
  if (code === 'UND_ERR_BODY_TIMEOUT') return { kind: 'timeout', phase: 'total', message: error.message };
  if (code === 'UND_ERR_RESPONSE_STATUS_CODE') return { kind: 'protocol_error', message: error.message };
  if (code?.startsWith('UND_ERR_') && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR_CLOSED') {
    return { kind: 'protocol_error', message: `${code}: ${error.message}` };
  }
  const cause = (error as { cause?: { code?: string } }).cause;
  return { kind: 'connection_error', ...(code ?? cause?.code ? { code: (code ?? cause?.code)! } : {}), message: error.message };
}

/**
 * The client a backend uses for one server: origin from `base_url`, else the server's url, else
 * `defaultUrl`; sockets per thread from `connections`, else the server's max_concurrent_requests,
 * else 128; the server's `model` (if any) wins over the workload's.
 */
export function clientFor(ctx: BackendContext, options: OpenAIOptions, defaultUrl: string): { client: OpenAIClient; origin: string } {
  const origin = new URL(options.base_url ?? ctx.server.url ?? defaultUrl).origin;
  const cap = ctx.server.maxConcurrentRequests;
  const connections = options.connections ?? (Number.isFinite(cap) ? cap : 128);
  return { client: new OpenAIClient(options, origin, ctx.clock, connections, ctx.server.model), origin };
}

export default defineBackend({
  name: 'openai',
  description: 'Any OpenAI-compatible server: /v1/chat/completions or /v1/completions, JSON or SSE.',
  options: OpenAIOptionsSchema,
  create(ctx, options) {
    const { client } = clientFor(ctx, options, DEFAULT_BASE_URL);
    return {
      send: (request, signal) => client.send(request, signal),
      teardown: () => client.close(),
    };
  },
});
export { METRIC_FAMILIES, metricFamilies, parsePrometheus, pickMetric, wrongServerMessage, type Aggregate, type MetricFamily } from './prometheus.js';
