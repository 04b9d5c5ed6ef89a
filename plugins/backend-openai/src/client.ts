// Over 400 lines on purpose: one request's life on a connection (dispatch handler, streaming reads,
// resend rule, outcome); splitting it would spread the socket-reuse guarantees over files.
import type { Dispatcher } from 'undici';
import {
  DeadlineQueue,
  type BenchRequest,
  type Clock,
  type Expiring,
  type Outcome,
  type ServerTiming,
  type TokenUsage,
  sendFrom,
  withConnectionFacts,
} from '@llmbench/plugin-api';
import { closedByPeer, ConnectionPool, type Connection } from './connections.js';
import { SseParser } from './sse.js';
import { EventTemplate, type StreamChunk } from './template.js';
import type { OpenAIOptions } from './options.js';

/**
 * How a server that closes its connection after answering is recognised (llama.cpp's server does
 * after every streamed answer, while its headers offer keep-alive): its sockets close within this
 * long of an answer, for most answers of one kind (JSON or streamed), over at least a few answers.
 */
const CLOSE_AFTER_ANSWER_MS = 200;
const MIN_ANSWERS = 4;
const CLOSE_SHARE = 0.75;

const RESOLVED = Promise.resolve();
/** Templates learned per streamed answer at most: a server whose events all differ costs three parses for these, then one each. */
const MAX_TEMPLATES = 4;

export interface ClientHooks {
  /** Told once per kind of answer when the client stops reusing connections for it. */
  readonly onNoReuse?: (kind: 'streamed' | 'JSON') => void;
}

/**
 * An OpenAI-compatible client for the load engine. Request bodies are built once per prompt; the
 * response is read through undici's dispatch handler API (no stream objects per response), SSE is
 * parsed incrementally, and every result becomes an Outcome.
 *
 * Connections: a request that fails on a reused keep-alive connection before any byte of its answer
 * (the server had closed it, or closed it as the request went out) is sent again, once, on a fresh
 * connection, as browsers do (Chromium's `ShouldResendRequest`); the outcome says `resent`. A server
 * seen closing its connections after most answers of one kind is driven without reuse for that kind
 * (`connection: close`), and its outcomes say `noReuse`. Every other failure stays what it was.
 */
export class OpenAIClient {
  readonly connections: ConnectionPool;
  readonly firstByte: DeadlineQueue<ResponseHandler>;
  readonly path: string;
  readonly headers: Record<string, string>;
  private readonly bodies = new WeakMap<readonly unknown[], Buffer>();
  /** Per kind of answer (0: JSON, 1: streamed): answers completed, and sockets the server closed right after one. */
  private readonly answers = [0, 0];
  private readonly closes = [0, 0];
  /** Per kind of answer: send with `connection: close`, since the server closes after answering anyway. */
  readonly noReuse = [false, false];
  /**
   * The requests running under each abort signal, told when it aborts. The engine reuses a signal
   * for consecutive requests (an `AbortSignal` costs more to create than the rest of a request), so
   * the client listens once per signal instead of once per request, and a request stops listening
   * when it ends.
   */
  private readonly watched = new WeakMap<AbortSignal, ResponseHandler[]>();
  /** When the bytes being handled now arrived, for every handler of this client; -1 between socket reads. */
  readAt = -1;
  private readonly readDone = (): void => {
    this.readAt = -1;
  };

  constructor(
    readonly options: OpenAIOptions,
    readonly origin: string,
    readonly clock: Clock,
    connections: number,
    private readonly defaultModel?: string,
    private readonly hooks: ClientHooks = {},
  ) {
    this.connections = new ConnectionPool({
      origin,
      connections,
      connectTimeoutMs: options.connect_timeout_ms,
      keepAliveTimeoutMs: options.keep_alive_timeout_ms,
      now: () => clock.now(),
      onServerClose: (connection, afterMs) => {
        if (afterMs <= CLOSE_AFTER_ANSWER_MS) this.closed(connection.lastStream ? 1 : 0);
      },
    });
    const message = `no response headers within ${options.first_byte_timeout_ms} ms`;
    this.firstByte = new DeadlineQueue<ResponseHandler>(clock, options.first_byte_timeout_ms, (handler) =>
      handler.timedOut(message),
    );
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
        ...(request.stream
          ? { stream: true, ...(this.options.include_usage ? { stream_options: { include_usage: true } } : {}) }
          : {}),
        ...this.options.extra_body,
      };
      body = Buffer.from(JSON.stringify(value));
      this.bodies.set(request.messages, body);
    }
    return body;
  }

  /** Sends one request; made by `sendFrom`, so the engine calls `dispatch` through it with no promise. */
  readonly send = sendFrom((request, signal, done) => this.dispatch(request, signal, done));

  /** `send` with a callback: `done` is called once, with the outcome (the engine's hot path, no promise). */
  dispatch(request: BenchRequest, signal: AbortSignal, done: (outcome: Outcome) => void): void {
    new ResponseHandler(this, request.stream, request.keepText === true, this.body(request), done, signal).start();
  }

  /**
   * When the bytes now being handled arrived. undici calls the handlers synchronously for everything
   * one socket read holds (headers, data, end), and every microtask runs before the next read, so
   * the first call of a read stamps it and the rest share that time: parsing earlier parts of a read
   * is not charged to later ones.
   */
  arrival(): number {
    if (this.readAt < 0) {
      this.readAt = this.clock.now();
      void RESOLVED.then(this.readDone);
    }
    return this.readAt;
  }

  /** Tells `handler` when `signal` aborts, until it leaves the list returned (`unwatch`). */
  watch(signal: AbortSignal, handler: ResponseHandler): ResponseHandler[] {
    let list = this.watched.get(signal);
    if (!list) {
      const handlers: ResponseHandler[] = [];
      list = handlers;
      this.watched.set(signal, handlers);
      signal.addEventListener(
        'abort',
        () => {
          for (const h of handlers.splice(0)) h.aborted();
        },
        { once: true },
      );
    }
    list.push(handler);
    return list;
  }

  /** An answer of this kind ended on a connection. */
  answered(mode: 0 | 1): void {
    this.answers[mode]!++;
  }

  /** Ends everything: a request still waiting for its first byte has no timer left to end it. */
  close(): Promise<void> {
    this.firstByte.close();
    return this.connections.destroy();
  }

  private closed(mode: 0 | 1): void {
    this.closes[mode]!++;
    if (!this.noReuse[mode] && this.answers[mode]! >= MIN_ANSWERS && this.closes[mode]! >= CLOSE_SHARE * this.answers[mode]!) {
      this.noReuse[mode] = true;
      this.hooks.onNoReuse?.(mode ? 'streamed' : 'JSON');
    }
  }
}

/** Collects one response and settles it as an Outcome. Expiring: its first-byte deadline. */
export class ResponseHandler implements Dispatcher.DispatchHandler, Expiring {
  /** Whether the first-byte deadline no longer applies: not yet on a connection, or the first byte came, or the request ended. */
  done = true;
  deadline = Infinity;
  sentAt = 0;
  private status = 0;
  private retryAfterMs: number | undefined;
  private chunks: Buffer[] = [];
  private settled = false;
  private sse: SseParser | undefined;
  private template: EventTemplate | undefined;
  private templates = 0;
  private arrivedAt = 0;
  private firstTokenAt: number | undefined;
  private chunkTimes: number[] | undefined;
  private counted = 0;
  /** The streamed answer's text so far, when the request asked for it. */
  private text = '';
  private usage: TokenUsage | undefined;
  private serverTiming: ServerTiming | undefined;
  private sawDone = false;
  private streamError: string | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private connection: Connection | undefined;
  /** Whether the current attempt went out on a socket that had already answered. */
  private reused = false;
  private resent = false;
  private noReuse = false;
  /** Ends the wait for a free connection; undefined once on one. */
  private cancel: (() => boolean) | undefined;
  /** The handlers told when this request's signal aborts (`OpenAIClient.watch`), this one among them until it settles. */
  private watchers: ResponseHandler[] | undefined;

  constructor(
    private readonly owner: OpenAIClient,
    private readonly stream: boolean,
    private readonly keepText: boolean,
    private readonly body: Buffer,
    private readonly resolve: (o: Outcome) => void,
    private readonly signal: AbortSignal,
  ) {}

  start(): void {
    this.watchers = this.owner.watch(this.signal, this);
    this.cancel = this.owner.connections.acquire((c) => this.attempt(c));
  }

  /** The request's signal aborted: a wait for a connection ends (never sent), a request on one is stopped. */
  aborted(): void {
    if (this.cancel?.()) this.settle({ kind: 'aborted', message: 'aborted before a connection was free' });
    else this.controller?.abort(new DOMException('aborted', 'AbortError'));
  }

  /** Sends the request on `connection` (the clock starts here, as vLLM's benchmark starts it just before the POST). */
  private attempt(connection: Connection): void {
    this.cancel = undefined;
    this.connection = connection;
    this.noReuse = this.owner.noReuse[this.stream ? 1 : 0]!;
    this.sentAt = this.owner.clock.now();
    connection.client.dispatch(
      { method: 'POST', path: this.owner.path, headers: this.owner.headers, body: this.body, reset: this.noReuse },
      this,
    );
  }

  /** The first-byte deadline passed: stop the request and say so. */
  timedOut(message: string): void {
    this.settle({ kind: 'timeout', phase: 'first_byte', message });
    this.controller?.abort(new DOMException(message, 'TimeoutError'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    this.reused = this.connection!.served > 0;
    if (this.signal.aborted) {
      controller.abort(new DOMException('aborted', 'AbortError'));
      return;
    }
    // The first-byte limit runs from here, as the request goes onto a connection, like undici's own
    // headersTimeout: waiting for a free connection is the whole-request timeout's business.
    this.deadline = this.owner.firstByte.deadline();
    this.done = false;
    this.owner.firstByte.add(this);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.owner.arrival();
    this.owner.firstByte.settle(this);
    this.status = statusCode;
    if (statusCode >= 200 && statusCode < 300 && this.stream) {
      this.template = new EventTemplate();
      this.sse = new SseParser(
        (payload) => this.event(payload),
        (buf, start, end) => this.read(buf, start, end),
      );
    } else if (statusCode === 429 || statusCode === 503) {
      const retry = headers['retry-after'];
      const seconds = Number(Array.isArray(retry) ? retry[0] : retry);
      if (Number.isFinite(seconds)) this.retryAfterMs = seconds * 1000;
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.arrivedAt = this.owner.arrival();
    if (this.sse) this.sse.push(chunk);
    else this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const endedAt = this.owner.arrival();
    const connection = this.connection!;
    connection.served++;
    connection.lastEnd = endedAt;
    connection.lastStream = this.stream;
    this.owner.answered(this.stream ? 1 : 0);
    this.settle(this.outcome(endedAt));
    this.release();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    // A reused socket that died before any byte of the answer: the server had closed it (or closed it
    // as the request went out). Sent again, once, on the same connection, which reconnects afresh.
    if (!this.settled && !this.resent && this.reused && this.status === 0 && !this.signal.aborted && closedByPeer(error)) {
      this.resent = true;
      this.owner.firstByte.settle(this);
      setImmediate(() => (this.settled ? this.release() : this.attempt(this.connection!)));
      return;
    }
    if (!this.settled) this.settle(outcomeOf(error));
    this.release();
  }

  private outcome(endedAt: number): Outcome {
    if (this.status < 200 || this.status >= 300) {
      return {
        kind: 'http_error',
        status: this.status,
        message: errorMessage(Buffer.concat(this.chunks).toString('utf8')),
        ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
      };
    }
    if (this.sse) {
      this.sse.end();
      if (this.streamError) return { kind: 'protocol_error', message: this.streamError };
      if (!this.sawDone) return { kind: 'protocol_error', message: 'stream ended without data: [DONE]' };
      return {
        kind: 'ok',
        status: this.status,
        sentAt: this.sentAt,
        endedAt,
        usage: this.usage ?? { outputTokens: this.counted, source: 'counted' },
        firstTokenAt: this.firstTokenAt,
        chunkTimes: this.chunkTimes,
        serverTiming: this.serverTiming,
        ...(this.keepText ? { text: this.text } : {}),
      } as Outcome;
    }
    let parsed: { choices?: unknown; usage?: RawUsage; stats?: RawStats; timings?: RawTimings };
    try {
      const text = this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      return { kind: 'protocol_error', message: 'response is not valid JSON' };
    }
    if (!Array.isArray(parsed.choices)) return { kind: 'protocol_error', message: 'response has no choices' };
    return {
      kind: 'ok',
      status: this.status,
      sentAt: this.sentAt,
      endedAt,
      usage: usageOf(parsed.usage),
      firstTokenAt: undefined,
      serverTiming: serverTimingOf(parsed.stats, parsed.timings),
      ...(this.keepText ? { text: answerText(parsed.choices[0]) } : {}),
    } as Outcome;
  }

  /** An event that fits the stream's template: a token event, read from its bytes (`EventTemplate`). */
  private read(buf: Buffer, start: number, end: number): boolean {
    if (this.sawDone || this.streamError) return true;
    const stop = this.template!.match(buf, start, end);
    if (stop < 0) return false;
    const from = this.template!.textStart(start);
    this.tokenEvent();
    if (stop > from) {
      this.counted++;
      if (this.keepText) this.text += buf.toString('utf8', from, stop);
    }
    return true;
  }

  /** A chunk with choices arrived: TTFT at the first, ITL between them. */
  private tokenEvent(): void {
    const at = this.arrivedAt;
    this.firstTokenAt ??= at;
    this.chunkTimes ??= [];
    this.chunkTimes.push(at);
  }

  private event(payload: string): void {
    if (this.sawDone || this.streamError) return;
    if (payload === '[DONE]') {
      this.sawDone = true;
      return;
    }
    let chunk: StreamChunk & { usage?: RawUsage | null; timings?: RawTimings };
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
      this.tokenEvent();
      const text = choice.delta?.content ?? choice.text;
      if (typeof text === 'string' && text.length > 0) {
        this.counted++;
        if (this.keepText) this.text += text;
      }
      if (this.templates < MAX_TEMPLATES && this.template) {
        this.templates++;
        this.template.learn(payload, chunk);
      }
    }
    if (chunk.usage) this.usage = usageOf(chunk.usage);
    if (chunk.timings) this.serverTiming = serverTimingOf(undefined, chunk.timings);
  }

  private settle(outcome: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    this.owner.firstByte.settle(this);
    this.chunks.length = 0; // the deadline queue may hold this handler a while: not its body
    unwatch(this.watchers, this);
    this.resolve(withConnectionFacts(outcome, this.resent, this.noReuse));
  }

  /** Gives the connection back once undici is done with the request. */
  private release(): void {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) this.owner.connections.release(connection);
  }
}

/** Takes `handler` out of `list` (order does not matter): it no longer hears its signal abort. */
function unwatch(list: ResponseHandler[] | undefined, handler: ResponseHandler): void {
  const i = list ? list.indexOf(handler) : -1;
  if (i < 0) return;
  list![i] = list![list!.length - 1]!;
  list!.pop();
}

interface RawUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

/** LM Studio's native `stats` (seconds and tokens/s). */
interface RawStats {
  time_to_first_token?: unknown;
  tokens_per_second?: unknown;
}

/** llama.cpp's per-response `timings` (ms, tokens/s). */
interface RawTimings {
  prompt_ms?: unknown;
  predicted_n?: unknown;
  predicted_ms?: unknown;
  predicted_per_second?: unknown;
}

/** A JSON answer's text: a chat choice's `message.content`, or a completion choice's `text`. */
function answerText(choice: unknown): string {
  const c = choice as { message?: { content?: unknown }; text?: unknown } | undefined;
  const text = c?.message?.content ?? c?.text;
  return typeof text === 'string' ? text : '';
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

const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

/**
 * What the server measured itself, when a response says: LM Studio's native `stats` (TTFT in seconds,
 * tokens/s) or llama.cpp's `timings` (prompt time, and decode time per generated token after the first).
 */
export function serverTimingOf(stats: RawStats | undefined, timings: RawTimings | undefined): ServerTiming | undefined {
  if (!stats && !timings) return undefined;
  const out: { ttftMs?: number; tokensPerSecond?: number; promptMs?: number; decodeMsPerToken?: number } = {};
  if (stats && typeof stats === 'object') {
    const ttft = num(stats.time_to_first_token);
    if (ttft !== undefined) out.ttftMs = ttft * 1000;
    const tps = num(stats.tokens_per_second);
    if (tps !== undefined) out.tokensPerSecond = tps;
  }
  if (timings && typeof timings === 'object') {
    const prompt = num(timings.prompt_ms);
    if (prompt !== undefined) out.promptMs = prompt;
    const n = num(timings.predicted_n);
    const ms = num(timings.predicted_ms);
    if (n !== undefined && ms !== undefined && n > 0) out.decodeMsPerToken = ms / n;
    const tps = num(timings.predicted_per_second);
    if (tps !== undefined && out.tokensPerSecond === undefined) out.tokensPerSecond = tps;
  }
  return Object.keys(out).length ? out : undefined;
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
  return { kind: 'connection_error', ...((code ?? cause?.code) ? { code: (code ?? cause?.code)! } : {}), message: error.message };
}
