import type { WorkloadOrder } from './order.js';
import type { SyntheticSource, TokenizerKind } from './schema.js';

/**
 * What the workload sources add to a resolved workload. All plain data: the workload crosses to
 * worker threads by structured clone.
 */
export interface WorkloadExtras {
  /** max_tokens of each prompt (same index as `prompts`); the workload's maxTokens otherwise. */
  readonly outputTokens?: readonly number[];
  /** Requested prompt tokens of each prompt (synthetic workloads). */
  readonly inputTokens?: readonly number[];
  /** What counted the tokens of inputTokens / outputTokens. */
  readonly tokenizer?: TokenizerKind;
  /** How requests pick prompts (in turn when absent). */
  readonly order?: WorkloadOrder;
  /** Multi-turn conversations: each request index of the engine is a conversation, sent turn by turn (conversations.ts). */
  readonly conversations?: Conversations;
  /** Work left for before the load, which needs the server's tokenizer (see prepare.ts). */
  readonly pending?: PendingWorkload;
}

export interface PendingWorkload {
  readonly synthetic?: SyntheticSource;
  /** Recorded answers, one per prompt, whose lengths in tokens become each prompt's max_tokens. */
  readonly answers?: readonly string[];
  readonly seed: number;
}

export interface Conversations {
  /** The user turns of each conversation, in order (at least one each). `prompts` holds the first turns. */
  readonly turns: readonly (readonly string[])[];
  /** Wait after an answer before the next turn, ms. */
  readonly thinkTimeMs: number;
}
