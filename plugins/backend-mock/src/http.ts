// Over 400 lines on purpose: the mock server's routes, faults and /metrics share one request
// lifecycle and its counters (stats must add up across routes); the KV-cache model is kv-cache.ts.
import { createServer, IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { mulberry32 } from '@llmbench/plugin-api';
import { CONTRACT_FAULTS } from '@llmbench/plugin-api/testing';
import { createMockServer, finishReason, MockOptionsSchema, type LengthLimits, type MockOptions } from './index.js';
import { delay, realScheduler } from './model.js';
import { KvCacheSchema, KvStepLoop, PromptTooLongError, tokenize, VllmKvCache, type KvCacheConfig } from './kv-cache.js';

/** The faults the mock injects: exactly the ones the contract kit asks a server for. */
export const FAULT_KINDS = CONTRACT_FAULTS;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FaultsSchema = z.strictObject({
  rate: z.number().min(0).max(1).default(0).describe('Fraction of requests that get a fault.'),
  kinds: z
    .array(z.enum(FAULT_KINDS))
    .min(1)
    .default([...FAULT_KINDS])
    .describe('Faults to choose from, uniformly.'),
  retry_after_s: z.number().int().nonnegative().default(1).describe('Retry-After sent with 429.'),
  slow_first_byte_ms: z.number().nonnegative().default(2000).describe('Delay before the response headers.'),
  stall_ms: z.number().nonnegative().default(2000).describe('Pause mid-response before the connection is closed.'),
  seed: z.number().int().default(7),
});
export type FaultsConfig = z.output<typeof FaultsSchema>;

export interface MockHttpServerOptions {
  readonly host?: string;
  readonly port?: number;
  /** Mock behaviour (latency model, tokens, error rate, seed), as for the in-process mock. */
  readonly mock?: Partial<MockOptions> | Record<string, unknown>;
  /**
   * Prefill cost: this many ms per 1,000 prompt tokens not served from the prefix cache, before
   * generation starts (so a repeated system prompt makes requests cheaper, as on a real server).
   */
  readonly prefillMsPer1kTokens?: number;
  /**
   * The simulated vLLM KV cache (`VllmKvCache`): block size, number of blocks, per-step token
   * budget, running requests at most. Its prefix-cache hits follow vLLM V1's rules.
   */
  readonly kvCache?: Partial<KvCacheConfig> | Record<string, unknown>;
  /** Fault injection: a fraction of requests fail in one of the given ways. */
  readonly faults?: Partial<FaultsConfig> | Record<string, unknown>;
  /**
   * Record each request's server-side times (ms, process monotonic clock): [start, end] or, for
   * streamed responses, [start, end, first chunk written, last content chunk written].
   */
  readonly trace?: boolean;
  /** Model ids the server lists as loaded (default: ["mock-model"]). */
  readonly models?: readonly string[];
}

export interface MockHttpServer {
  readonly url: string;
  readonly port: number;
  /** The server's own counters (and trace, when enabled). */
  stats(): MockHttpStats;
  reset(): void;
  close(): Promise<void>;
}

export interface MockHttpStats {
  readonly requests_received: number;
  /** Completion requests that asked for a streamed answer (`stream: true`), faulted or not. */
  readonly requests_streamed: number;
  readonly requests_completed: number;
  readonly requests_cancelled: number;
  readonly errors_injected: number;
  readonly in_flight: number;
  readonly max_in_flight: number;
  readonly tokens_generated: number;
  /** Requests answered completely and correctly (no fault but slow_first_byte, not cancelled). */
  readonly responses_ok: number;
  /** Faults injected, by kind. */
  readonly faults: Readonly<Record<FaultKind, number>>;
  /**
   * Prompt tokens looked up in the prefix cache, and how many of them were cached (vLLM V1's
   * counters: a request looked up again after waiting for free blocks counts again).
   */
  readonly prefix_cache_queries: number;
  readonly prefix_cache_hits: number;
  /** KV blocks in use (0 to 1), as vLLM's kv_cache_usage_perc. */
  readonly kv_cache_usage: number;
  readonly trace?: readonly (readonly number[])[];
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * A request stamped when Node first hands it to JavaScript (its headers just parsed, before the
 * response object and the 'request' event): the closest the server can get to "the request arrived".
 */
class StampedRequest extends IncomingMessage {
  readonly arrivedAt = now();
}

/**
 * A loopback OpenAI-style server driven by the mock's latency models: POST /v1/chat/completions and
 * /v1/completions (JSON or SSE with `stream: true`), GET /v1/models, plus GET /llmbench/stats and
 * POST /llmbench/reset for tests and benchmarks. Answers honour `max_tokens` (or
 * `max_completion_tokens`), `min_tokens` and `ignore_eos` as vLLM does (`answerLength`).
 */
export async function startMockHttpServer(options: MockHttpServerOptions = {}): Promise<MockHttpServer> {
  const mockOptions = MockOptionsSchema.parse(options.mock ?? {});
  let faults = FaultsSchema.parse(options.faults ?? {});
  let sim = createMockServer(mockOptions, mockOptions.seed ?? 1);
  let faultRandom = mulberry32(faults.seed);
  let injected = emptyFaults();
  const latency = mockOptions.latency;
  const kvConfig = KvCacheSchema.parse(options.kvCache ?? {});
  const kvSettings = {
    ...kvConfig,
    max_num_seqs: kvConfig.max_num_seqs ?? (latency.model === 'shared' ? latency.max_batch : undefined),
  };
  // A vLLM engine step lasts about one decode step of the running batch.
  const stepMs = (): number => {
    if (latency.model === 'shared') return latency.step_ms + latency.per_request_ms * kv.numRunning;
    if (latency.model === 'tokens') return Math.max(1, latency.itl_ms);
    return 1;
  };
  let kv = new VllmKvCache(kvSettings);
  let steps = new KvStepLoop(kv, stepMs, stepTimers);
  let generated = 0;
  let responsesOk = 0;
  let received = 0;
  let streamed = 0;
  const pickFault = (): FaultKind | undefined => {
    if (faults.rate <= 0 || faultRandom() >= faults.rate) return undefined;
    return faults.kinds[Math.floor(faultRandom() * faults.kinds.length)]!;
  };
  let trace: number[][] = [];
  let created = Math.floor(Date.now() / 1000);
  const models = options.models?.length ? [...options.models] : ['mock-model'];

  const server: Server = createServer(
    { keepAlive: true, keepAliveTimeout: 60_000, IncomingMessage: StampedRequest },
    (req, res) => {
      const path = req.url ?? '/';
      if (req.method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/completions')) {
        void complete(req, res, path === '/v1/chat/completions', false);
      } else if (req.method === 'POST' && (path === '/api/v0/chat/completions' || path === '/api/v0/completions')) {
        void complete(req, res, path === '/api/v0/chat/completions', true);
      } else if (req.method === 'GET' && (path === '/api/v0/models' || path.startsWith('/api/v0/models/'))) {
        // LM Studio's native model list (docs: /api/v0/models), with the load state.
        const list = models.map((id) => ({
          id,
          object: 'model',
          type: 'llm',
          publisher: 'llmbench',
          arch: 'mock',
          compatibility_type: 'gguf',
          quantization: 'Q4_K_M',
          state: 'loaded',
          max_context_length: 32768,
        }));
        const wanted = decodeURIComponent(path.slice('/api/v0/models/'.length));
        const model = list.find((m) => m.id === wanted);
        if (path === '/api/v0/models') json(res, 200, { object: 'list', data: list });
        else if (model) json(res, 200, model);
        else json(res, 404, { error: `model not found: ${wanted}` });
      } else if (req.method === 'GET' && path === '/v1/models') {
        json(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created, owned_by: 'llmbench' })) });
      } else if (req.method === 'GET' && path === '/metrics') {
        const payload = prometheus();
        res.writeHead(200, {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
          'content-length': Buffer.byteLength(payload),
        });
        res.end(payload);
      } else if (req.method === 'GET' && path === '/llmbench/stats') {
        json(res, 200, stats());
      } else if (req.method === 'POST' && path === '/llmbench/faults') {
        // Test control: replace the fault configuration at run time (the contract kit uses this).
        void readBody(req).then(
          (text) => {
            let value: unknown;
            try {
              value = text ? JSON.parse(text) : {};
            } catch {
              return json(res, 400, { error: { message: 'body is not valid JSON', type: 'invalid_request_error' } });
            }
            const parsed = FaultsSchema.safeParse(value);
            if (!parsed.success)
              return json(res, 400, { error: { message: z.prettifyError(parsed.error), type: 'invalid_request_error' } });
            faults = parsed.data;
            faultRandom = mulberry32(faults.seed);
            json(res, 200, { ok: true, faults });
          },
          () => json(res, 400, { error: { message: 'unreadable body', type: 'invalid_request_error' } }),
        );
      } else if (req.method === 'POST' && path.split('?')[0] === '/reset_prefix_cache') {
        // vLLM's (dev mode) endpoint: empties the prefix cache when no request holds blocks; its
        // counters keep counting.
        kv.resetPrefixCache();
        res.writeHead(200, { 'content-length': 0 });
        res.end();
      } else if (req.method === 'POST' && path === '/llmbench/reset') {
        reset();
        json(res, 200, { ok: true });
      } else {
        json(res, 404, { error: { message: `no route for ${req.method} ${path}`, type: 'not_found' } });
      }
    },
  );

  async function complete(req: IncomingMessage, res: ServerResponse, chat: boolean, native: boolean): Promise<void> {
    const started = (req as StampedRequest).arrivedAt;
    received++;
    let body: RequestBody;
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      json(res, 400, { error: { message: 'request body is not valid JSON', type: 'invalid_request_error' } });
      return;
    }
    const limits = lengthLimits(body);
    if (typeof limits === 'string') {
      json(res, 400, { error: { message: limits, type: 'invalid_request_error' } });
      return;
    }
    if (body.stream === true) streamed++;
    const model = typeof body.model === 'string' ? body.model : 'mock-model';
    const id = `cmpl-${sim.counters.requests_received}`;
    const prompt = promptText(body);
    const promptIds = prompt.length > 0 ? tokenize(prompt) : [''];
    const promptTokens = promptIds.length;
    const fault = pickFault();
    if (fault === 'slow_first_byte') {
      // A slow server, not a broken one: the answer does come, late. A client with a shorter deadline
      // gives up first (and the answer is not counted as one the server gave).
      injected[fault]++;
      let closedAt = 0;
      res.once('close', () => (closedAt = now()));
      await delay(realScheduler, faults.slow_first_byte_ms);
      if (res.destroyed) {
        if (options.trace) trace.push([started, closedAt || now()]);
        return;
      }
    } else if (fault !== undefined) {
      injected[fault]++;
      if (options.trace) res.once('close', () => trace.push([started, now()]));
      await injectFault(fault, req, res, body.stream === true);
      return;
    }
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    // A client gone already never sees 'close' again: nothing to schedule or to free.
    if (res.destroyed) return;
    // Scheduled as vLLM schedules it; its blocks stay in use until the answer is written.
    const reserve =
      limits.maxTokens ??
      (latency.model === 'shared' ? Math.ceil(mockOptions.output_tokens * (1 + latency.jitter)) : mockOptions.output_tokens);
    const admission = steps.admit(promptIds, reserve, controller.signal);
    res.once('close', admission.release);
    let cachedTokens: number;
    try {
      cachedTokens = await admission.ready;
    } catch (error) {
      if (error instanceof PromptTooLongError)
        json(res, 400, { error: { message: error.message, type: 'invalid_request_error' } });
      return;
    }
    const streaming = body.stream === true;
    let headersSent = false;
    let firstChunk: number | undefined;
    let lastChunk: number | undefined;
    const stampChunk = (): void => {
      lastChunk = now();
      firstChunk ??= lastChunk;
    };
    const prefillMs = ((options.prefillMsPer1kTokens ?? 0) * (promptTokens - cachedTokens)) / 1000;
    if (prefillMs > 0) await delay(realScheduler, prefillMs);
    const outcome = await sim.handle(
      controller.signal,
      streaming
        ? (i) => {
            if (!headersSent) {
              res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
              headersSent = true;
            }
            const delta = chat
              ? `{"index":0,"delta":{${i === 0 ? '"role":"assistant",' : ''}"content":" tok${i}"},"finish_reason":null}`
              : `{"index":0,"text":" tok${i}","finish_reason":null}`;
            // A chunk's time is when it was flushed to the socket, as the trace's end is ('finish').
            res.write(
              `data: {"id":"${id}","object":"${chat ? 'chat.completion.chunk' : 'text_completion'}","created":${created},"model":${JSON.stringify(model)},"choices":[${delta}]}\n\n`,
              stampChunk,
            );
          }
        : undefined,
      limits,
    );
    // The trace covers what the server sees of the exchange: from the request's headers to the last
    // byte of the response handed to the socket.
    if (options.trace)
      res.once('finish', () =>
        trace.push(firstChunk === undefined ? [started, now()] : [started, now(), firstChunk, lastChunk!]),
      );
    if (outcome.kind === 'aborted') return;
    if (outcome.kind === 'ok') res.once('finish', () => void responsesOk++);
    if (outcome.kind !== 'ok') {
      if (headersSent) res.end();
      else
        json(res, outcome.kind === 'http_error' ? outcome.status : 500, {
          error: { message: 'injected error', type: 'server_error' },
        });
      return;
    }
    const tokens = outcome.usage?.outputTokens ?? 0;
    const finish = finishReason(tokens, limits);
    generated += tokens;
    const details = cachedTokens > 0 ? `,"prompt_tokens_details":{"cached_tokens":${cachedTokens}}` : '';
    const usage = `{"prompt_tokens":${promptTokens},"total_tokens":${promptTokens + tokens},"completion_tokens":${tokens}${details}}`;
    if (streaming) {
      const last = chat
        ? `{"index":0,"delta":{},"finish_reason":"${finish}"}`
        : `{"index":0,"text":"","finish_reason":"${finish}"}`;
      const object = chat ? 'chat.completion.chunk' : 'text_completion';
      res.end(
        `data: {"id":"${id}","object":"${object}","created":${created},"model":${JSON.stringify(model)},"choices":[${last}]}\n\n` +
          // LM Studio's native streams carry no usage (lmstudio-bug-tracker #676); /v1 streams do.
          (native
            ? ''
            : `data: {"id":"${id}","object":"${object}","created":${created},"model":${JSON.stringify(model)},"choices":[],"usage":${usage}}\n\n`) +
          'data: [DONE]\n\n',
      );
      return;
    }
    const text = Array.from({ length: tokens }, (_, i) => ` tok${i}`).join('');
    const choice = chat
      ? `{"index":0,"message":{"role":"assistant","content":${JSON.stringify(text)}},"finish_reason":"${finish}"}`
      : `{"index":0,"text":${JSON.stringify(text)},"finish_reason":"${finish}"}`;
    // LM Studio's native endpoint adds server-side stats (seconds) to non-streamed responses.
    const generation = (now() - started) / 1000;
    const ttft = mockOptions.latency.model === 'tokens' ? mockOptions.latency.ttft_ms / 1000 : generation / Math.max(1, tokens);
    const stats = native
      ? `,"stats":{"tokens_per_second":${generation > 0 ? tokens / generation : 0},"time_to_first_token":${ttft},"generation_time":${generation},"stop_reason":"${finish === 'length' ? 'maxPredictedTokensReached' : 'eosFound'}"},"model_info":{"arch":"mock","quant":"Q4_K_M","format":"gguf","context_length":32768},"runtime":{"name":"llmbench-mock","version":"0","supported_formats":["gguf"]}`
      : '';
    const payload = `{"id":"${id}","object":"${chat ? 'chat.completion' : 'text_completion'}","created":${created},"model":${JSON.stringify(model)},"choices":[${choice}],"usage":${usage}${stats}}`;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  }

  /** Fails one request the given way; what the client sees is documented per kind. */
  async function injectFault(
    fault: Exclude<FaultKind, 'slow_first_byte'>,
    req: IncomingMessage,
    res: ServerResponse,
    stream: boolean,
  ): Promise<void> {
    switch (fault) {
      case 'http_500':
        return json(res, 500, { error: { message: 'injected: internal error', type: 'server_error' } });
      case 'http_429':
        res.setHeader('retry-after', String(faults.retry_after_s));
        return json(res, 429, { error: { message: 'injected: rate limited', type: 'rate_limit_error' } });
      case 'stall':
        res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
        res.write(
          stream ? 'data: {"id":"stall","choices":[{"index":0,"delta":{"content":" tok"}}]}\n\n' : '{"id":"stall","choices":',
        );
        await delay(realScheduler, faults.stall_ms);
        res.destroy();
        return;
      case 'reset':
        // Before any byte of the answer: on a reused connection, a client may send the request again.
        req.socket.destroy();
        return;
      case 'reset_mid_answer':
        // The answer has begun (status line, headers, part of the body), then the connection dies.
        res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
        res.write(
          stream ? 'data: {"id":"cut","choices":[{"index":0,"delta":{"content":" tok"}}]}\n\n' : '{"id":"cut","choices":',
          () => setImmediate(() => req.socket.destroy()),
        );
        return;
      case 'malformed_json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"bad","choices":[{"index":0,');
        return;
      case 'malformed_sse':
        if (!stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"id":"bad","choices":[{"index":0,');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('data: {"id":"bad","choices":[{"index":0,"delta":{"content":" tok"}}]}\n\ndata: {not json}\n\ndata: [DONE]\n\n');
        return;
    }
  }

  /** vLLM V1 metric names (`vllm/v1/metrics/loggers.py`), counters with the `_total` suffix. */
  function prometheus(): string {
    const labels = '{engine="0",model_name="mock-model"}';
    const c = sim.counters;
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, value: number) =>
      lines.push(
        `# HELP ${name} ${help}`,
        `# TYPE ${name} ${type}`,
        `${name}${labels} ${Number.isInteger(value) ? value.toFixed(1) : value}`,
      );
    metric('vllm:num_requests_running', 'gauge', 'Number of requests in model execution batches.', c.in_flight);
    metric('vllm:num_requests_waiting', 'gauge', 'Number of requests waiting to be processed.', kv.numWaiting);
    metric('vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage. 1 means 100 percent usage.', kv.usage);
    metric(
      'vllm:prefix_cache_queries_total',
      'counter',
      'Prefix cache queries, in terms of number of queried tokens.',
      kv.queries,
    );
    metric('vllm:prefix_cache_hits_total', 'counter', 'Prefix cache hits, in terms of number of cached tokens.', kv.hits);
    metric('vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.', kv.promptTokens);
    metric('vllm:generation_tokens_total', 'counter', 'Number of generation tokens processed.', generated);
    return `${lines.join('\n')}\n`;
  }

  function stats(): MockHttpStats {
    // Every completion request that arrived, faulted or not (the simulator sees only unfaulted ones).
    return {
      ...sim.counters,
      requests_received: received,
      requests_streamed: streamed,
      responses_ok: responsesOk,
      faults: { ...injected },
      prefix_cache_queries: kv.queries,
      prefix_cache_hits: kv.hits,
      kv_cache_usage: kv.usage,
      ...(options.trace ? { trace } : {}),
    };
  }

  function reset(): void {
    sim = createMockServer(mockOptions, mockOptions.seed ?? 1);
    faultRandom = mulberry32(faults.seed);
    injected = emptyFaults();
    responsesOk = 0;
    received = 0;
    streamed = 0;
    steps.stop();
    kv = new VllmKvCache(kvSettings);
    steps = new KvStepLoop(kv, stepMs, stepTimers);
    generated = 0;
    trace = [];
    created = Math.floor(Date.now() / 1000);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stats,
    reset,
    close: () =>
      new Promise<void>((resolve, reject) => {
        steps.stop();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The prompt's text: a completion's prompt, or a chat's message contents in order. */
function promptText(body: { messages?: unknown; prompt?: unknown }): string {
  if (Array.isArray(body.messages)) {
    return (body.messages as { content?: unknown }[]).map((m) => (typeof m?.content === 'string' ? m.content : '')).join('');
  }
  return typeof body.prompt === 'string' ? body.prompt : '';
}

interface RequestBody {
  stream?: unknown;
  model?: unknown;
  messages?: unknown;
  prompt?: unknown;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  min_tokens?: unknown;
  ignore_eos?: unknown;
}

/**
 * The answer-length fields the mock honours, as vLLM reads them: `max_tokens` (or the chat API's
 * newer `max_completion_tokens`), `min_tokens` and `ignore_eos`; or, like vLLM, a message saying
 * which is invalid.
 */
function lengthLimits(body: RequestBody): LengthLimits | string {
  const max = body.max_completion_tokens ?? body.max_tokens;
  const min = body.min_tokens;
  if (max !== undefined && max !== null && !(Number.isInteger(max) && (max as number) >= 1))
    return `max_tokens must be a whole number >= 1, got ${JSON.stringify(max)}`;
  if (min !== undefined && min !== null && !(Number.isInteger(min) && (min as number) >= 0))
    return `min_tokens must be a whole number >= 0, got ${JSON.stringify(min)}`;
  if (body.ignore_eos !== undefined && body.ignore_eos !== null && typeof body.ignore_eos !== 'boolean')
    return `ignore_eos must be a boolean, got ${JSON.stringify(body.ignore_eos)}`;
  const maxTokens = typeof max === 'number' ? max : undefined;
  const minTokens = typeof min === 'number' ? min : undefined;
  if (maxTokens !== undefined && minTokens !== undefined && minTokens > maxTokens)
    return `min_tokens (${minTokens}) must be less than or equal to max_tokens (${maxTokens})`;
  return { maxTokens, minTokens, ignoreEos: body.ignore_eos === true };
}

/**
 * Timers for the step loop: a step "now" runs once the requests whose bodies were read in this turn
 * of the event loop are queued (setImmediate), so requests that arrive together share a step and
 * none waits a timer's millisecond.
 */
const stepTimers = {
  setTimeout: (fn: () => void, ms: number): unknown =>
    ms <= 0 ? { immediate: setImmediate(fn) } : { timeout: setTimeout(fn, Math.ceil(ms)) },
  clearTimeout: (handle: unknown): void => {
    const h = handle as { immediate?: NodeJS.Immediate; timeout?: NodeJS.Timeout };
    if (h.immediate) clearImmediate(h.immediate);
    if (h.timeout) clearTimeout(h.timeout);
  },
};

function emptyFaults(): Record<FaultKind, number> {
  return {
    http_500: 0,
    http_429: 0,
    slow_first_byte: 0,
    stall: 0,
    reset: 0,
    reset_mid_answer: 0,
    malformed_json: 0,
    malformed_sse: 0,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const payload = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
