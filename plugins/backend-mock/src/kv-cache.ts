// Over 400 lines on purpose: one model of vLLM V1's block pool, KV-cache manager and scheduler step,
// kept together as vLLM's rules interlock (blocks cached at scheduling decide the next request's hits).
import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The KV-cache settings of the simulated vLLM server, under vLLM's own names. Block size 16, 2,048
 * tokens per step and 256 sequences are `vllm serve`'s defaults on a GPU under 70 GiB
 * (`get_batch_defaults`, vllm/engine/arg_utils.py); 65,536 blocks are 1M tokens of KV cache.
 */
export const KvCacheSchema = z.strictObject({
  block_size: z.number().int().positive().default(16).describe('Tokens per KV block (vLLM --block-size).'),
  num_blocks: z
    .number()
    .int()
    .min(2)
    .default(65_536)
    .describe('KV blocks in the pool, the null block included (vLLM --num-gpu-blocks-override).'),
  max_num_batched_tokens: z
    .number()
    .int()
    .positive()
    .default(2048)
    .describe('Prompt tokens scheduled per step at most (vLLM --max-num-batched-tokens).'),
  max_num_seqs: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Requests running at most (vLLM --max-num-seqs); default the shared latency model's max_batch, else 256."),
  long_prefill_token_threshold: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe('Prompt tokens one request gets per step at most; 0 = no cap (vLLM --long-prefill-token-threshold).'),
});
export type KvCacheConfig = z.output<typeof KvCacheSchema>;

/** The mock's tokenizer: one token per 4 characters of text, the last one possibly shorter. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (let i = 0; i < text.length; i += 4) tokens.push(text.slice(i, i + 4));
  return tokens;
}

/**
 * Chained hashes of a prompt's full blocks only (`hash_request_tokens` / `hash_block_tokens`): a
 * block's hash covers its tokens and the hash of the block before it, so a block can hit only when
 * every block before it does.
 */
export function blockHashes(tokens: readonly string[], blockSize: number): string[] {
  const hashes: string[] = [];
  for (let start = 0; start + blockSize <= tokens.length; start += blockSize) {
    const hash = createHash('sha1')
      .update(hashes.at(-1) ?? 'NONE_HASH')
      .update('\0');
    for (let i = start; i < start + blockSize; i++) hash.update(tokens[i]!).update('\0');
    hashes.push(hash.digest('base64'));
  }
  return hashes;
}

interface Block {
  readonly id: number;
  ref: number;
  hash: string | undefined;
  prev: Block | undefined;
  next: Block | undefined;
  free: boolean;
}

/** `FreeKVCacheBlockQueue`: a doubly linked list, evicted from the head. */
class FreeBlockQueue {
  private head: Block | undefined;
  private tail: Block | undefined;
  size = 0;

  popleft(): Block {
    const block = this.head!;
    this.remove(block);
    return block;
  }

  remove(block: Block): void {
    if (block.prev) block.prev.next = block.next;
    else this.head = block.next;
    if (block.next) block.next.prev = block.prev;
    else this.tail = block.prev;
    block.prev = block.next = undefined;
    block.free = false;
    this.size--;
  }

  append(block: Block): void {
    block.prev = this.tail;
    block.next = undefined;
    if (this.tail) this.tail.next = block;
    else this.head = block;
    this.tail = block;
    block.free = true;
    this.size++;
  }

  /** Puts `blocks` at the head, in their order. */
  prependAll(blocks: readonly Block[]): void {
    for (let i = blocks.length - 1; i >= 0; i--) {
      const block = blocks[i]!;
      block.prev = undefined;
      block.next = this.head;
      if (this.head) this.head.prev = block;
      else this.tail = block;
      this.head = block;
      block.free = true;
      this.size++;
    }
  }
}

interface KvRequest {
  readonly id: string;
  readonly tokens: readonly string[];
  readonly hashes: readonly string[];
  /** Answer tokens whose blocks are taken with the prompt's (see `VllmKvCache`). */
  readonly reserve: number;
  computed: number;
  blocks: Block[];
  /** Leading blocks of `blocks` that carry a hash. */
  cachedBlocks: number;
  cachedTokens: number;
  running: boolean;
}

/** A request whose prompt finished being scheduled in a step, and the prompt tokens it found cached. */
export interface Prefilled {
  readonly id: string;
  readonly cachedTokens: number;
}

/** The outcome of one scheduler step. */
export interface StepResult {
  readonly prefilled: readonly Prefilled[];
  /** Requests whose prompt needs more blocks than the pool has: they can never run. */
  readonly rejected: readonly string[];
}

/**
 * vLLM V1's KV-cache manager and the part of its scheduler that decides prefix-cache hits, on the
 * mock's tokens. Followed from vLLM's source (vllm-project/vllm, file at the commit read):
 *
 * - `v1/core/sched/scheduler.py` `Scheduler.schedule` (b4622cf9): a step first continues running
 *   requests' unfinished prompts, then takes waiting requests in arrival order while the token
 *   budget (`max_num_batched_tokens`) lasts and fewer than `max_num_seqs` run. A waiting request is
 *   looked up (`get_computed_blocks`) before its blocks are allocated; when they cannot be, it stays
 *   at the head of the queue, the step stops taking requests, and the next step looks it up again.
 * - `v1/core/kv_cache_manager.py` `get_computed_blocks` / `allocate_slots` (ace980e6): the longest
 *   run of cached full blocks from the prompt's start, at most `prompt - 1` tokens (the last token
 *   is always recomputed); every lookup counts the prompt's tokens as queries and the hit tokens as
 *   hits (`PrefixCacheStats.record`, `v1/metrics/stats.py` 28ed1fb8, the counters
 *   `vllm:prefix_cache_queries` / `_hits`). `allocate_slots` caches (`cache_blocks`) the blocks that
 *   are full after the tokens scheduled in this step, when they are scheduled, not when computed:
 *   a request taken later in the same step hits the blocks an earlier one is computing in it.
 * - `v1/core/block_pool.py` (c59cb794): a block hash may map to several blocks (no de-duplication);
 *   allocating pops blocks from the head of the free queue and evicts their hashes; a hit on a free
 *   block takes it out of the queue (`touch`); freeing a request (its blocks in reverse order,
 *   `free`) puts blocks without a hash at the head and cached ones at the tail, so eviction is
 *   least recently used and a prompt's tail goes before its head (`FreeKVCacheBlockQueue`,
 *   `v1/core/kv_cache_utils.py` bbf906a8). Block 0 is vLLM's null block, never used.
 * - `reset_prefix_cache` empties the cache only when no block is in use.
 *
 * One simplification: vLLM takes blocks for the tokens it schedules, a chunk of prompt or one
 * answer token a step, and preempts a running request when none is free; the mock takes the blocks
 * for the whole prompt and answer (`reserve`) when it first schedules a request, so it never
 * preempts: a request that does not fit waits. (Preempted requests' lookups are not in vLLM's
 * counters anyway: `record(..., preempted=True)`.) Blocks are still cached only as the prompt's
 * tokens are scheduled, and the answer's blocks are never cached.
 */
export class VllmKvCache {
  queries = 0;
  hits = 0;
  /** Lookups counted in `queries` (a request looked up again after waiting for blocks counts again). */
  lookups = 0;
  /** Prompt tokens of the requests scheduled (each once), for `vllm:prompt_tokens`. */
  promptTokens = 0;
  private readonly blocks: Block[];
  private readonly freeQueue = new FreeBlockQueue();
  private cached = new Map<string, Block[]>();
  private readonly waiting: KvRequest[] = [];
  private readonly running: KvRequest[] = [];
  private readonly byId = new Map<string, KvRequest>();
  readonly config: Readonly<KvCacheConfig> & { readonly max_num_seqs: number };

  constructor(config: Partial<KvCacheConfig> = {}) {
    const parsed = KvCacheSchema.parse(config);
    this.config = { ...parsed, max_num_seqs: parsed.max_num_seqs ?? 256 };
    this.blocks = Array.from({ length: this.config.num_blocks }, (_, id) => ({
      id,
      ref: 0,
      hash: undefined,
      prev: undefined,
      next: undefined,
      free: false,
    }));
    for (const block of this.blocks.slice(1)) this.freeQueue.append(block);
  }

  get numWaiting(): number {
    return this.waiting.length;
  }

  get numRunning(): number {
    return this.running.length;
  }

  /** Whether a step has work: requests waiting, or running ones with prompt tokens left. */
  get pending(): boolean {
    return this.waiting.length > 0 || this.prefilling;
  }

  /** Whether a running request has prompt tokens left to schedule. */
  get prefilling(): boolean {
    return this.running.some((r) => r.computed < r.tokens.length);
  }

  /** vLLM's `kv_cache_usage_perc`: the share of blocks in use, the null block not counted. */
  get usage(): number {
    return 1 - this.freeQueue.size / (this.blocks.length - 1);
  }

  /** Queues a request of `tokens` prompt tokens whose answer will need `reserve` more slots. */
  add(id: string, tokens: readonly string[], reserve = 0): void {
    const request: KvRequest = {
      id,
      tokens,
      hashes: blockHashes(tokens, this.config.block_size),
      reserve,
      computed: 0,
      blocks: [],
      cachedBlocks: 0,
      cachedTokens: 0,
      running: false,
    };
    this.byId.set(id, request);
    this.waiting.push(request);
  }

  /** One `schedule()`: prompt tokens for running requests first, then waiting ones in order. */
  step(): StepResult {
    const { block_size: size, max_num_batched_tokens, long_prefill_token_threshold: threshold, max_num_seqs } = this.config;
    let budget = max_num_batched_tokens;
    const prefilled: Prefilled[] = [];
    const rejected: string[] = [];
    const cap = (n: number): number => Math.min(threshold > 0 ? Math.min(n, threshold) : n, budget);
    for (const r of this.running) {
      if (budget <= 0) break;
      if (r.computed >= r.tokens.length) continue;
      const n = cap(r.tokens.length - r.computed);
      budget -= n;
      r.computed += n;
      this.cacheBlocks(r, r.computed);
      if (r.computed === r.tokens.length) prefilled.push({ id: r.id, cachedTokens: r.cachedTokens });
    }
    while (this.waiting.length > 0 && budget > 0 && this.running.length < max_num_seqs) {
      const r = this.waiting[0]!;
      const hit = this.findLongestCacheHit(r.hashes, r.tokens.length - 1);
      const hitTokens = hit.length * size;
      this.queries += r.tokens.length;
      this.hits += hitTokens;
      this.lookups++;
      const n = cap(r.tokens.length - hitTokens);
      const done = hitTokens + n === r.tokens.length;
      const slots = r.tokens.length + r.reserve;
      const needed = Math.ceil(slots / size) - hit.length + hit.filter((b) => b.ref === 0).length;
      if (needed > this.freeQueue.size) {
        // Too big even for an empty pool: vLLM refuses such a prompt up front (max_model_len).
        if (this.running.length === 0 && Math.ceil((r.tokens.length + r.reserve) / size) > this.blocks.length - 1) {
          this.waiting.shift();
          this.byId.delete(r.id);
          rejected.push(r.id);
          continue;
        }
        break;
      }
      this.touch(hit);
      r.blocks = [...hit, ...this.allocate(Math.ceil(slots / size) - hit.length)];
      r.cachedBlocks = hit.length;
      r.cachedTokens = hitTokens;
      r.computed = hitTokens + n;
      r.running = true;
      this.cacheBlocks(r, r.computed);
      this.waiting.shift();
      this.running.push(r);
      this.promptTokens += r.tokens.length;
      budget -= n;
      if (done) prefilled.push({ id: r.id, cachedTokens: hitTokens });
    }
    return { prefilled, rejected };
  }

  /** The request ended (answered, failed or cancelled): its blocks are freed, or it leaves the queue. */
  finish(id: string): void {
    const r = this.byId.get(id);
    if (!r) return;
    this.byId.delete(id);
    if (!r.running) {
      this.waiting.splice(this.waiting.indexOf(r), 1);
      return;
    }
    this.running.splice(this.running.indexOf(r), 1);
    const fresh: Block[] = [];
    const cached: Block[] = [];
    for (let i = r.blocks.length - 1; i >= 0; i--) {
      const block = r.blocks[i]!;
      if (--block.ref > 0) continue;
      (block.hash === undefined ? fresh : cached).push(block);
    }
    this.freeQueue.prependAll(fresh);
    for (const block of cached) this.freeQueue.append(block);
  }

  /** `reset_prefix_cache`: forgets every hash, only when no block is in use; says whether it did. */
  resetPrefixCache(): boolean {
    if (this.freeQueue.size !== this.blocks.length - 1) return false;
    this.cached = new Map();
    for (const block of this.blocks) block.hash = undefined;
    return true;
  }

  private findLongestCacheHit(hashes: readonly string[], maxTokens: number): Block[] {
    const hit: Block[] = [];
    const max = Math.floor(maxTokens / this.config.block_size);
    for (let i = 0; i < max && i < hashes.length; i++) {
      const block = this.cached.get(hashes[i]!)?.[0];
      if (!block) break;
      hit.push(block);
    }
    return hit;
  }

  private touch(blocks: readonly Block[]): void {
    for (const block of blocks) {
      if (block.free) this.freeQueue.remove(block);
      block.ref++;
    }
  }

  private allocate(n: number): Block[] {
    const out: Block[] = [];
    for (let i = 0; i < n; i++) {
      const block = this.freeQueue.popleft();
      if (block.hash !== undefined) {
        const same = this.cached.get(block.hash)!;
        same.splice(same.indexOf(block), 1);
        if (same.length === 0) this.cached.delete(block.hash);
        block.hash = undefined;
      }
      block.ref = 1;
      out.push(block);
    }
    return out;
  }

  /** `cache_blocks`: gives a hash to each block that is full after `tokens` of the prompt. */
  private cacheBlocks(r: KvRequest, tokens: number): void {
    const full = Math.floor(Math.min(tokens, r.tokens.length) / this.config.block_size);
    for (let i = r.cachedBlocks; i < full; i++) {
      const block = r.blocks[i]!;
      if (block.hash !== undefined) continue;
      block.hash = r.hashes[i]!;
      const same = this.cached.get(block.hash);
      if (same) same.push(block);
      else this.cached.set(block.hash, [block]);
    }
    if (full > r.cachedBlocks) r.cachedBlocks = full;
  }
}

/** Timer functions (as `Scheduler` in model.ts), so the step loop runs on a fake clock in tests. */
interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export class PromptTooLongError extends Error {
  override readonly name = 'PromptTooLongError';
}

/**
 * Runs `VllmKvCache` steps in time, as vLLM's engine loop does: a step soon after a request arrives
 * (so requests that arrive together are scheduled in the same step), at once again while a prompt
 * has tokens left, and one every `stepMs()` while requests wait for blocks.
 */
export class KvStepLoop {
  private timer: unknown;
  private timerMs = 0;
  private nextId = 0;
  private readonly pendingAdmissions = new Map<string, { resolve: (cached: number) => void; reject: (e: Error) => void }>();

  constructor(
    readonly kv: VllmKvCache,
    private readonly stepMs: () => number,
    private readonly timers: Timers,
  ) {}

  /**
   * Queues a prompt; `ready` resolves with its cached prompt tokens once its prompt is scheduled,
   * or rejects when `signal` aborts first or the prompt can never fit. `release` must follow either
   * way (it is a no-op for a request already gone).
   */
  admit(tokens: readonly string[], reserve: number, signal?: AbortSignal): { ready: Promise<number>; release: () => void } {
    const id = String(this.nextId++);
    const release = (): void => {
      this.pendingAdmissions.delete(id);
      this.kv.finish(id);
      // vLLM schedules again as soon as a step's finished requests are freed.
      if (this.kv.pending) this.kick(0, true);
    };
    const ready = new Promise<number>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      const onAbort = (): void => {
        this.pendingAdmissions.delete(id);
        this.kv.finish(id);
        reject(new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T): void => {
          signal?.removeEventListener('abort', onAbort);
          fn(v);
        };
      this.pendingAdmissions.set(id, { resolve: settle(resolve), reject: settle(reject) });
      this.kv.add(id, tokens, reserve);
      this.kick(0);
    });
    return { ready, release };
  }

  /** Stops the loop's timer (the server is closing). */
  stop(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Plans a step in `ms`, unless one is planned already (sooner, with `now`, if it was for later). */
  private kick(ms: number, now = false): void {
    if (this.timer !== undefined) {
      if (!now || this.timerMs === 0) return;
      this.timers.clearTimeout(this.timer);
    }
    this.timerMs = ms;
    this.timer = this.timers.setTimeout(() => this.step(), ms);
  }

  private step(): void {
    this.timer = undefined;
    const { prefilled, rejected } = this.kv.step();
    for (const id of rejected) {
      this.pendingAdmissions
        .get(id)
        ?.reject(
          new PromptTooLongError(
            `the prompt and its answer need more than the ${this.kv.config.num_blocks - 1} KV blocks of ${this.kv.config.block_size} tokens the server has`,
          ),
        );
      this.pendingAdmissions.delete(id);
    }
    for (const p of prefilled) {
      this.pendingAdmissions.get(p.id)?.resolve(p.cachedTokens);
      this.pendingAdmissions.delete(p.id);
    }
    // A prompt longer than a step's budget goes on in the next step at once: the mock charges its
    // prefill time separately (prefillMsPer1kTokens). Requests waiting for blocks are looked up
    // again once per engine step.
    if (this.kv.prefilling) this.kick(0);
    else if (this.kv.pending) this.kick(this.stepMs());
  }
}
