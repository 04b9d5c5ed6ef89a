export type Awaitable<T> = T | PromiseLike<T>;

/** Monotonic milliseconds. Inject a fake one in tests; never mix with `Date.now()`. */
export interface Clock {
  now(): number;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Where text output (console reports) goes. `isTTY` decides between live and plain output. */
export interface TextSink {
  write(text: string): void;
  readonly isTTY: boolean;
}

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** One request as the workload describes it; backends turn it into their wire format. */
export interface BenchRequest {
  /** 0-based index within the experiment run (warmup requests have their own sequence). */
  readonly index: number;
  readonly messages: readonly ChatMessage[];
  // `| undefined`: requests are built with every field present (one object shape on the hot path).
  readonly model?: string | undefined;
  readonly maxTokens?: number | undefined;
  readonly temperature?: number | undefined;
  readonly stream: boolean;
  /** True for warmup requests, which are sent but not measured. */
  readonly warmup: boolean;
  /**
   * Ask the backend for the answer's text (`OkOutcome.text`), for jobs that save answers. Off for
   * benchmarks, which then pay nothing for it.
   */
  readonly keepText?: boolean | undefined;
}

/** A server as the scenario (or project config) names it. */
export interface ServerTarget {
  readonly id: string;
  readonly url?: string;
  readonly model?: string;
  /** Client-side cap on requests in flight to this server; `Infinity` when unlimited. */
  readonly maxConcurrentRequests: number;
}

/** Flat numeric readings from a server or collector, e.g. `{ kv_cache_usage: 0.42 }`. */
export type MetricReadings = Readonly<Record<string, number>>;
