import { basename, extname, resolve } from 'node:path';
import type { BalancerPolicy } from '../engine/balancer.js';
import { DIRECTORY_SYSTEM_PROMPT } from '../jobs/presets.js';
import type { ScenarioInput } from '../scenario/schema.js';

/** The seed's `process_directory.py` flags, as `llmbench process` takes them. */
export interface ProcessOptions {
  /** The workers file (`--config/-c`), as the seed writes it. */
  readonly config: string;
  readonly input: string;
  readonly out: string;
  readonly preset: string;
  readonly presetFile?: string;
  /** Requests in flight (default: the workers' max_concurrent_requests summed). */
  readonly concurrency?: number;
  readonly maxTokens?: number;
  readonly timeoutMs?: number;
  readonly stream?: boolean;
  readonly systemPrompt?: string;
  readonly balancer?: BalancerPolicy;
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The scenario `llmbench process` runs: one experiment, the job's pending tasks over the workers
 * file's servers at `concurrency`, shown on the console. Returned as text so it is loaded and
 * validated like a scenario file; `withDirectoryJob` then hands it the job.
 */
export function processScenario(o: ProcessOptions, pending: number, concurrency: number): { file: string; text: string } {
  const config = resolve(o.cwd, o.config);
  const scenario: ScenarioInput = {
    name: `process-${
      basename(resolve(o.cwd, o.input))
        .replace(/[^A-Za-z0-9_.-]/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '') || 'directory'
    }`,
    description: `Directory job: every document of ${o.input} x the "${o.preset}" preset, answers saved under ${o.out}.`,
    workers_file: config,
    ...(o.balancer ? { balancer: o.balancer } : {}),
    workload: {
      requests: Math.max(1, pending),
      system_prompt: o.systemPrompt ?? DIRECTORY_SYSTEM_PROMPT,
      ...(o.maxTokens ? { max_tokens: o.maxTokens } : {}),
      ...(o.timeoutMs ? { timeout_ms: o.timeoutMs } : {}),
      ...(o.stream ? { stream: true } : {}),
    },
    experiments: [
      {
        name: 'process',
        description: `${o.preset} preset over ${o.input}`,
        strategy: { use: 'semaphore', options: { concurrency } },
      },
    ],
    reporters: ['console'],
  };
  return {
    file: resolve(o.cwd, `process of ${basename(o.input)} with ${basename(config, extname(config))}`),
    text: JSON.stringify(scenario, null, 2),
  };
}
