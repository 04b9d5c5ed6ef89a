/** Why a request did not succeed. Every request ends as exactly one `Outcome`. */
export const FAILURE_KINDS = ['http_error', 'timeout', 'connection_error', 'protocol_error', 'aborted'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];
export type OutcomeKind = 'ok' | FailureKind;

/**
 * Where token counts came from: the server's own `usage` (exact), counted by the client from streamed
 * chunks (a server may merge several tokens into one chunk: a lower bound), estimated (e.g. from text
 * length or a tokenizer other than the server's), or unknown.
 */
export type CountSource = 'server' | 'counted' | 'estimated' | 'none';

export interface TokenUsage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cachedTokens?: number;
  readonly source: CountSource;
}

/**
 * How a request used its connection, when that was not the plain case (sent once, on a kept-alive or
 * new connection). Counted per server and shown in every report: never hidden.
 */
export interface ConnectionFacts {
  /**
   * The first attempt died on a reused connection the server had already closed, before any byte of
   * the answer arrived, so it was sent again, once, on a fresh connection. Times count from the resend.
   */
  readonly resent?: boolean;
  /**
   * Sent without connection reuse (`connection: close`), because this server closes its connections
   * after answering although it offers keep-alive.
   */
  readonly noReuse?: boolean;
}

/** `outcome` with the connection facts that hold (`ConnectionFacts`); `outcome` itself when neither does. */
export function withConnectionFacts<O extends Outcome>(outcome: O, resent: boolean | undefined, noReuse: boolean | undefined): O {
  if (!resent && !noReuse) return outcome;
  return { ...outcome, ...(resent ? { resent: true } : {}), ...(noReuse ? { noReuse: true } : {}) };
}

export interface OkOutcome extends ConnectionFacts {
  readonly kind: 'ok';
  readonly status?: number | undefined;
  readonly usage?: TokenUsage | undefined;
  /**
   * Clock time (ms, `BackendContext.clock`) at which the backend handed the request to its HTTP client.
   * TTFT and E2EL count from here, so the engine's own bookkeeping before the send is not charged to
   * the server. Optional: without it they count from the engine's stamp just before `send()`. Ignored
   * unless it lies within the `send()` call's own window.
   */
  readonly sentAt?: number | undefined;
  /**
   * Clock time at which the response was complete (its last byte read). E2EL ends here; without it,
   * when the `send()` promise settled. Ignored unless it lies between `sentAt` and that settling.
   */
  readonly endedAt?: number | undefined;
  /**
   * Streamed responses: clock time (ms, `BackendContext.clock`) at which the bytes holding the first
   * chunk with choices arrived. TTFT = firstTokenAt - send time.
   */
  readonly firstTokenAt?: number | undefined;
  /**
   * Streamed responses: arrival clock times of every chunk carrying choices, in order (the first
   * equals `firstTokenAt`). ITL is the gaps between consecutive entries.
   */
  readonly chunkTimes?: readonly number[] | undefined;
  /** What the server itself reported about this request (e.g. LM Studio's native `stats`). */
  readonly serverTiming?: ServerTiming | undefined;
  /**
   * The answer's text (the first choice's message content, or its streamed deltas joined), only when
   * the request asked for it with `BenchRequest.keepText`.
   */
  readonly text?: string | undefined;
}

/**
 * The send and end of an `ok` exchange as the engine takes them, for a `send()` called at `called`
 * that settled at `settled`: the backend's own `sentAt` and `endedAt` when they lie within that call
 * (the send also no later than the first token), else the call's own times. One rule, used by the
 * engine and by the contract kit that tells plugin authors whether their stamps are believed.
 */
export function exchangeTimes(o: OkOutcome, called: number, settled: number): { readonly sent: number; readonly ended: number } {
  const { sentAt, endedAt, firstTokenAt } = o;
  const sent = sentAt !== undefined && sentAt >= called && sentAt <= Math.min(firstTokenAt ?? settled, settled) ? sentAt : called;
  const ended = endedAt !== undefined && endedAt >= sent && endedAt <= settled ? endedAt : settled;
  return { sent, ended };
}

export interface ServerTiming {
  /** Server-measured time to first token, ms (LM Studio's native stats). */
  readonly ttftMs?: number;
  /** Server-measured generation speed, output tokens per second. */
  readonly tokensPerSecond?: number;
  /** Server-measured prompt processing time, ms (llama.cpp's `timings.prompt_ms`). */
  readonly promptMs?: number;
  /** Server-measured decode time per generated token, ms (llama.cpp's `predicted_ms / predicted_n`). */
  readonly decodeMsPerToken?: number;
}

export interface HttpErrorOutcome extends ConnectionFacts {
  readonly kind: 'http_error';
  readonly status: number;
  readonly message?: string | undefined;
  /** From a `Retry-After` header, when the server sent one. */
  readonly retryAfterMs?: number | undefined;
}

export interface TimeoutOutcome extends ConnectionFacts {
  readonly kind: 'timeout';
  readonly phase: 'connect' | 'first_byte' | 'total';
  readonly message?: string | undefined;
}

export interface ConnectionErrorOutcome extends ConnectionFacts {
  readonly kind: 'connection_error';
  /** System error code such as `ECONNREFUSED` or `ECONNRESET`, when known. */
  readonly code?: string;
  readonly message?: string | undefined;
}

export interface ProtocolErrorOutcome extends ConnectionFacts {
  readonly kind: 'protocol_error';
  readonly message: string;
}

export interface AbortedOutcome extends ConnectionFacts {
  readonly kind: 'aborted';
  readonly message?: string | undefined;
}

export type FailureOutcome = HttpErrorOutcome | TimeoutOutcome | ConnectionErrorOutcome | ProtocolErrorOutcome | AbortedOutcome;

export type Outcome = OkOutcome | FailureOutcome;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Turns anything a backend threw into an outcome, so a misbehaving server or plugin is counted
 * rather than crashing the run: abort errors become `aborted`, system network errors
 * `connection_error`, the rest `protocol_error`.
 */
export function outcomeFromError(error: unknown): FailureOutcome {
  const err = error instanceof Error ? error : new Error(String(error));
  if (err.name === 'AbortError') return { kind: 'aborted', message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    return { kind: 'connection_error', code, message: err.message };
  }
  return { kind: 'protocol_error', message: err.message };
}
