import type { BenchRequest, ChatMessage } from '@llmbench/plugin-api';
import type { ResolvedWorkload } from '../scenario/load.js';
import { promptPicker } from '../workload/order.js';

/**
 * Builds requests from a workload. Prompts are picked by the workload's sampling (in turn by
 * default) as a pure function of the index; message arrays are built once per prompt, and only
 * prompts containing "{i}" are templated per request.
 */
export function requestFactory(workload: ResolvedWorkload, options: { warmup?: boolean } = {}): (index: number) => BenchRequest {
  const system: ChatMessage[] = workload.systemPrompt === undefined ? [] : [{ role: 'system', content: workload.systemPrompt }];
  const model = workload.model;
  const stream = workload.stream;
  const warmup = options.warmup ?? false;
  const maxTokens = workload.maxTokens;
  const temperature = workload.temperature;
  const builders = workload.prompts.map((prompt): ((index: number) => readonly ChatMessage[]) => {
    if (typeof prompt !== 'string') {
      const messages = [...system, ...prompt.messages];
      return () => messages;
    }
    if (!prompt.includes('{i}')) {
      const messages: ChatMessage[] = [...system, { role: 'user', content: prompt }];
      return () => messages;
    }
    const parts = prompt.split('{i}');
    return (index) => [...system, { role: 'user', content: parts.join(String(index)) }];
  });
  const perPrompt = workload.outputTokens;
  const pick = promptPicker(builders.length, workload.order);
  // One object shape for every request (no per-request spread): the hot path stays monomorphic.
  return (index) => {
    const p = pick(index);
    return { index, messages: builders[p]!(index), model, maxTokens: perPrompt?.[p] ?? maxTokens, temperature, stream, warmup };
  };
}
