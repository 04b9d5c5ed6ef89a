import type { BenchRequest, ChatMessage } from '@llmbench/plugin-api';
import type { ResolvedWorkload } from '../scenario/load.js';

/**
 * Builds requests from a workload. Prompts are used in turn; message arrays are built once per
 * prompt, and only prompts containing "{i}" are templated per request.
 */
export function requestFactory(workload: ResolvedWorkload, options: { model?: string; warmup?: boolean } = {}): (index: number) => BenchRequest {
  const system: ChatMessage[] = workload.systemPrompt === undefined ? [] : [{ role: 'system', content: workload.systemPrompt }];
  const model = options.model ?? workload.model;
  const base = {
    stream: workload.stream,
    warmup: options.warmup ?? false,
    ...(model === undefined ? {} : { model }),
    ...(workload.maxTokens === undefined ? {} : { maxTokens: workload.maxTokens }),
    ...(workload.temperature === undefined ? {} : { temperature: workload.temperature }),
  };
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
  return (index) => ({ ...base, index, messages: builders[index % builders.length]!(index) });
}
