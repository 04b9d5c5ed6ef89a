import { z } from 'zod';
import { gaussian } from '@llmbench/plugin-api';

export const LatencyModelSchema = z.discriminatedUnion('model', [
  z.strictObject({
    model: z.literal('fixed'),
    ms: z.number().nonnegative().default(10).describe('Every request takes this long.'),
  }),
  z.strictObject({
    model: z.literal('uniform'),
    min_ms: z.number().nonnegative(),
    max_ms: z.number().nonnegative(),
  }),
  z.strictObject({
    model: z.literal('normal'),
    mean_ms: z.number().nonnegative(),
    stddev_ms: z.number().nonnegative(),
  }),
  z.strictObject({
    model: z.literal('lognormal'),
    median_ms: z.number().positive(),
    sigma: z.number().nonnegative().default(0.5),
  }),
  z.strictObject({
    model: z.literal('exponential'),
    mean_ms: z.number().positive(),
  }),
  z
    .strictObject({
      model: z.literal('tokens'),
      ttft_ms: z.number().nonnegative().default(20).describe('Time to the first token (prefill).'),
      itl_ms: z.number().nonnegative().default(5).describe('Time between consecutive tokens (decode).'),
    })
    .describe(
      'A fixed per-token schedule: first token after ttft_ms, then one every itl_ms; latency = ttft_ms + (tokens - 1) x itl_ms.',
    ),
  z
    .strictObject({
      model: z.literal('shared'),
      step_ms: z.number().positive().default(0.6).describe('Fixed cost of one decode step of the whole batch.'),
      per_request_ms: z.number().nonnegative().default(0.1).describe('Extra step cost for each request in the batch.'),
      max_batch: z
        .number()
        .int()
        .positive()
        .optional()
        .describe('Requests decoded together at most; the rest wait in the server (vLLM max_num_seqs).'),
      jitter: z.number().min(0).max(1).default(0.25).describe('Output length varies by up to this fraction either way.'),
    })
    .describe(
      'A shared accelerator: every request in flight advances one token per step, and a step takes step_ms + per_request_ms x batch size.',
    ),
]);

export type LatencyModel = z.output<typeof LatencyModelSchema>;

/** Timer functions, injectable so the models run on a fake clock in tests. */
export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => performance.now(),
  // Node truncates fractional delays; round up so a timer never fires before its time.
  setTimeout: (fn, ms) => setTimeout(fn, Math.ceil(ms)),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Draws a service time in ms for the independent (non-shared) models. */
export function sampleLatency(
  model: Exclude<LatencyModel, { model: 'shared' } | { model: 'tokens' }>,
  random: () => number,
): number {
  switch (model.model) {
    case 'fixed':
      return model.ms;
    case 'uniform':
      return model.min_ms + (model.max_ms - model.min_ms) * random();
    case 'normal':
      return Math.max(0, model.mean_ms + model.stddev_ms * gaussian(random));
    case 'lognormal':
      return model.median_ms * Math.exp(model.sigma * gaussian(random));
    case 'exponential':
      return -model.mean_ms * Math.log(1 - random());
  }
}

export class AbortedError extends Error {
  override readonly name = 'AbortError';
}

/** Waits `ms` on the scheduler; rejects with an AbortError when `signal` aborts. */
export function delay(scheduler: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError('aborted'));
    const onAbort = () => {
      scheduler.clearTimeout(handle);
      reject(new AbortedError('aborted'));
    };
    const handle = scheduler.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface Job {
  target: number;
  tokens: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** Settles a job's promise and detaches it from its abort signal, so finished jobs are not retained. */
function settle(signal: AbortSignal | undefined, onAbort: () => void, done: () => void): () => void {
  return () => {
    signal?.removeEventListener('abort', onAbort);
    done();
  };
}

/**
 * A shared accelerator simulated in real (or fake) time as processor sharing: all admitted requests
 * advance together, one token per step, and a step takes `step_ms + per_request_ms * n` for n
 * admitted requests. Per-request latency therefore grows with the number in flight while throughput
 * grows towards 1 / (tokens * per_request_ms): the batch-vs-semaphore trade-off of the seed study.
 */
export class SharedAccelerator {
  /** Tokens every admitted request has advanced by since creation. */
  private progress = 0;
  private lastUpdate: number;
  private readonly active: Job[] = [];
  private readonly waiting: Job[] = [];
  private timer: unknown;

  constructor(
    private readonly config: { step_ms: number; per_request_ms: number; max_batch?: number | undefined },
    private readonly scheduler: Scheduler = realScheduler,
  ) {
    this.lastUpdate = scheduler.now();
  }

  get running(): number {
    return this.active.length;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Duration of one step with `n` requests decoding. */
  stepMs(n: number): number {
    return this.config.step_ms + this.config.per_request_ms * n;
  }

  /** Resolves once `tokens` tokens have been generated for this request. */
  generate(tokens: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortedError('aborted'));
      this.advance();
      const onAbort = (): void => this.cancel(job);
      const job: Job = {
        target: 0,
        tokens,
        resolve: settle(signal, onAbort, resolve),
        reject: (e) => settle(signal, onAbort, () => reject(e))(),
      };
      const max = this.config.max_batch ?? Infinity;
      if (this.active.length < max) this.admit(job);
      else this.waiting.push(job);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.reschedule();
    });
  }

  private admit(job: Job): void {
    job.target = this.progress + job.tokens;
    this.active.push(job);
  }

  private cancel(job: Job): void {
    this.advance();
    const i = this.active.indexOf(job);
    if (i >= 0) this.active.splice(i, 1);
    else {
      const w = this.waiting.indexOf(job);
      if (w < 0) return;
      this.waiting.splice(w, 1);
    }
    job.reject(new AbortedError('aborted'));
    this.fill();
    this.reschedule();
  }

  private advance(): void {
    const now = this.scheduler.now();
    if (this.active.length > 0) this.progress += (now - this.lastUpdate) / this.stepMs(this.active.length);
    this.lastUpdate = now;
  }

  private fill(): void {
    const max = this.config.max_batch ?? Infinity;
    while (this.active.length < max && this.waiting.length > 0) this.admit(this.waiting.shift()!);
  }

  private reschedule(): void {
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.active.length === 0) return;
    let next = Infinity;
    for (const j of this.active) if (j.target < next) next = j.target;
    const wait = Math.max(0, (next - this.progress) * this.stepMs(this.active.length));
    this.timer = this.scheduler.setTimeout(() => this.tick(), wait);
  }

  private tick(): void {
    this.timer = undefined;
    this.advance();
    const done: Job[] = [];
    for (let i = this.active.length - 1; i >= 0; i--) {
      const j = this.active[i]!;
      if (j.target <= this.progress + 1e-9) {
        done.push(j);
        this.active.splice(i, 1);
      }
    }
    this.fill();
    this.reschedule();
    for (const j of done.reverse()) j.resolve();
  }
}
