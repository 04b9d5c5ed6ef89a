import type { BenchRequest, OkOutcome } from '@llmbench/plugin-api';
import type { ResolvedWorkload } from '../scenario/load.js';
import { AnswerWriter } from './answers.js';
import { directoryRequests, taskOf } from './job.js';

/**
 * What a thread of the engine needs for a directory job: its requests and a saver for their
 * answers. Undefined for every other workload.
 */
export function answerSaver(
  workload: ResolvedWorkload,
  servers: readonly string[],
):
  | {
      request: (index: number) => BenchRequest;
      save: (index: number, server: number, latencyMs: number, outcome: OkOutcome) => void;
      close: () => void;
    }
  | undefined {
  const job = workload.directory;
  if (!job) return undefined;
  const writer = new AnswerWriter(job.out);
  return {
    request: directoryRequests({ ...workload, directory: job }),
    save(index, server, latencyMs, outcome) {
      const t = taskOf(job, index);
      writer.save(
        job.documents[t.document]!,
        job.folders[t.document]!,
        job.prompts[t.prompt]!.id,
        servers[server]!,
        latencyMs,
        outcome,
        new Date(),
      );
    },
    close: () => writer.close(),
  };
}
