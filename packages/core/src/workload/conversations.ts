import type { BenchRequest, ChatMessage } from '@llmbench/plugin-api';
import type { ResolvedWorkload } from '../scenario/load.js';
import { promptPicker } from './order.js';
import type { Conversations } from './types.js';

/**
 * How a thread sends multi-turn conversations. The engine's claimed indices are conversations
 * (picked from the dataset by the workload's sampling, a pure function of the index as for
 * prompts); conversation j's turn t is request number start(j) + t, where start(j) sums the turns
 * of conversations 0..j-1, so every request of a run has its own index whatever thread sent it.
 * The history (the answers) lives in the sending lane only, for the conversation's life.
 */
export class ConversationPlan {
  readonly thinkTimeMs: number;
  private readonly turns: readonly (readonly string[])[];
  private readonly pick: (index: number) => number;
  private readonly system: readonly ChatMessage[];
  /** starts[j] = first request index of conversation j, grown on demand. */
  private starts = new Float64Array(64);
  private known = 1;

  constructor(
    private readonly workload: ResolvedWorkload & { readonly conversations: Conversations },
    private readonly warmup: boolean,
  ) {
    this.turns = workload.conversations.turns;
    this.thinkTimeMs = workload.conversations.thinkTimeMs;
    this.pick = promptPicker(this.turns.length, workload.order);
    this.system = workload.systemPrompt === undefined ? [] : [{ role: 'system', content: workload.systemPrompt }];
  }

  /** The user turns of conversation `j` (the dataset's conversation its index picks). */
  turnsOf(j: number): readonly string[] {
    return this.turns[this.pick(j)]!;
  }

  /** The request index of turn `t` (0-based) of conversation `j`. */
  requestIndex(j: number, t: number): number {
    return this.start(j) + t;
  }

  /** The messages of a conversation before its first turn: the system prompt, if any. */
  opening(): readonly ChatMessage[] {
    return this.system;
  }

  /** The request of one turn; `messages` is the history with this turn's user message last. */
  request(index: number, messages: readonly ChatMessage[]): BenchRequest {
    const w = this.workload;
    return {
      index,
      messages,
      model: w.model,
      maxTokens: w.maxTokens,
      temperature: w.temperature,
      stream: w.stream,
      warmup: this.warmup,
      keepText: true,
    };
  }

  private start(j: number): number {
    if (j >= this.starts.length) {
      const grown = new Float64Array(Math.max(j + 1, this.starts.length * 2));
      grown.set(this.starts);
      this.starts = grown;
    }
    for (; this.known <= j; this.known++)
      this.starts[this.known] = this.starts[this.known - 1]! + this.turnsOf(this.known - 1).length;
    return this.starts[j]!;
  }
}

/** The plan when the workload is multi-turn conversations. */
export function conversationPlan(workload: ResolvedWorkload, options: { warmup: boolean }): ConversationPlan | undefined {
  const conversations = workload.conversations;
  return conversations ? new ConversationPlan({ ...workload, conversations }, options.warmup) : undefined;
}

/** Requests `units` claimed indices send: the turns of that many conversations, or `units` itself. */
export function requestsOf(workload: ResolvedWorkload, units: number): number {
  const plan = conversationPlan(workload, { warmup: false });
  return plan ? plan.requestIndex(units, 0) : units;
}
