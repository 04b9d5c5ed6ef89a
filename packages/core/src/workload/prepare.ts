import {
  ErrorCodes,
  type Backend,
  type BenchRequest,
  type ChatMessage,
  type Logger,
  type PluginContext,
} from '@llmbench/plugin-api';
import { guard } from '../engine/engine.js';
import { serverTarget } from '../engine/protocol.js';
import type { ResolvedServer, ResolvedWorkload } from '../scenario/load.js';
import { buildSynthetic, type TokenCounter } from './synthetic.js';
import { chooseCounter } from './tokenizers.js';
import { SYNTHETIC_DEFAULTS } from '../defaults.js';

const PROBE_TEXT = 'hello';

/**
 * Finishes a workload whose prompts or lengths need the target model's tokenizer (synthetic
 * prompts, recorded output lengths): once per experiment, in the main thread, before any load,
 * asking the experiment's first server. The result is plain prompts and per-prompt lengths, so
 * the engine does no tokenizing per request.
 */
export async function prepareWorkload(
  workload: ResolvedWorkload,
  server: ResolvedServer,
  base: PluginContext,
  logger: Logger,
): Promise<ResolvedWorkload> {
  const pending = workload.pending;
  if (!pending) return workload;
  const { pending: _, ...rest } = workload;
  const backend = await guard(`backend ${server.backend.resolved.ref} (${server.id})`, ErrorCodes.PLUGIN_FAILED, () =>
    server.backend.resolved.plugin.create(
      { ...base, server: serverTarget({ ...server, cap: server.maxConcurrentRequests }) },
      server.backend.options,
    ),
  );
  try {
    await guard(`server ${server.id} setup`, ErrorCodes.BACKEND_UNREACHABLE, () => backend.setup?.());
    const counter = await chooseCounter(pending.synthetic?.tokenizer ?? SYNTHETIC_DEFAULTS.tokenizer, backend, server.id, logger);
    if (pending.synthetic) {
      const overhead = await templateOverhead(backend, workload, counter, server, logger);
      const built = await buildSynthetic(pending.synthetic, {
        requests: workload.requests,
        warmup: workload.warmup,
        seed: pending.seed,
        counter,
        overhead,
      });
      return {
        ...rest,
        prompts: built.prompts,
        inputTokens: built.inputTokens,
        ...(built.outputTokens ? { outputTokens: built.outputTokens } : {}),
        tokenizer: counter.kind,
      };
    }
    const outputTokens: number[] = [];
    for (const answer of pending.answers ?? []) outputTokens.push(Math.max(1, await counter.count(answer)));
    return { ...rest, outputTokens, tokenizer: counter.kind };
  } finally {
    await backend.teardown?.();
  }
}

/**
 * Tokens the server adds around a prompt's text (chat template, system prompt, BOS): the prompt
 * tokens it reports for a one-word request, less the word's own count. Zero, said so, when the
 * server reports no usage.
 */
async function templateOverhead(
  backend: Backend,
  workload: ResolvedWorkload,
  counter: TokenCounter,
  server: ResolvedServer,
  logger: Logger,
): Promise<number> {
  const messages: ChatMessage[] = [
    ...(workload.systemPrompt === undefined ? [] : [{ role: 'system' as const, content: workload.systemPrompt }]),
    { role: 'user', content: PROBE_TEXT },
  ];
  const request: BenchRequest = {
    index: 0,
    messages,
    ...(workload.model === undefined ? {} : { model: workload.model }),
    maxTokens: 1,
    stream: false,
    warmup: true,
  };
  const outcome = await backend.send(request, AbortSignal.timeout(workload.timeoutMs));
  const reported = outcome.kind === 'ok' && outcome.usage?.source === 'server' ? outcome.usage.inputTokens : undefined;
  if (reported === undefined) {
    logger.warn(
      `${server.id}: a one-word request got ${outcome.kind === 'ok' ? 'no prompt_tokens in its usage' : `${outcome.kind}`}; synthetic input lengths count the prompt text only, not the chat template around it`,
    );
    return 0;
  }
  return Math.max(0, reported - (await counter.count(PROBE_TEXT)));
}
