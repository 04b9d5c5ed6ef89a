import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCodes, LlmbenchError } from '@llmbench/plugin-api';
import { loadProjectConfig } from '../config.js';
import type { LoadedScenario } from '../scenario/load.js';
import { readSource } from '../scenario/source.js';
import { WorkersFileSchema } from '../scenario/schema.js';
import { planDirectoryJob, type DirectoryJob } from './job.js';
import type { Logger } from '@llmbench/plugin-api';
import type { ResolvedExperiment } from '../scenario/load.js';
import { BUILTIN_PRESETS, duplicateIds, PresetSchema, PresetsSchema, presetPrompts, type PresetPrompt } from './presets.js';

export { PROCESS_DEFAULTS } from './defaults.js';

/**
 * The prompts of preset `name`: from `--preset-file` (one preset as a list, or `{ name: [...] }`),
 * else from the project config's `presets`, else a built-in one (`research`).
 */
export async function resolvePreset(
  name: string,
  o: { presetFile?: string; cwd: string; env?: NodeJS.ProcessEnv },
): Promise<PresetPrompt[]> {
  let found: unknown;
  let from: string;
  let known: string[];
  if (o.presetFile !== undefined) {
    const file = resolve(o.cwd, o.presetFile);
    const source = await readSource(file);
    const single = PresetSchema.safeParse(source.value);
    if (single.success) return checked(single.data, file);
    const many = PresetsSchema.safeParse(source.value);
    if (!many.success) {
      throw new LlmbenchError(
        ErrorCodes.CONFIG_INVALID,
        `--preset-file ${o.presetFile}: ${many.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`,
        {
          hint: 'write a list of prompts (strings or {id, prompt}), or { <name>: [prompts] }',
        },
      );
    }
    found = many.data[name];
    from = `--preset-file ${o.presetFile}`;
    known = Object.keys(many.data);
  } else {
    const config = await loadProjectConfig(o.cwd, o.env);
    const presets = config?.config.presets ?? {};
    found = presets[name] ?? (BUILTIN_PRESETS[name] ? [...BUILTIN_PRESETS[name]] : undefined);
    from = config ? `the built-in presets or ${config.file}` : 'the built-in presets (no project config found)';
    known = [...new Set([...Object.keys(BUILTIN_PRESETS), ...Object.keys(presets)])];
  }
  if (found === undefined) {
    throw new LlmbenchError(ErrorCodes.USAGE, `no preset named "${name}" in ${from}`, {
      hint: `use one of: ${known.join(', ') || '(none)'}, or define it under "presets" in llmbench.config.yaml`,
    });
  }
  return checked(PresetSchema.parse(found), from);
}

function checked(preset: Parameters<typeof presetPrompts>[0], where: string): PresetPrompt[] {
  const prompts = presetPrompts(preset);
  const twice = duplicateIds(prompts);
  if (twice.length) {
    throw new LlmbenchError(
      ErrorCodes.CONFIG_INVALID,
      `${where}: prompt id${twice.length > 1 ? 's' : ''} ${twice.join(', ')} used twice (their answers would overwrite each other)`,
      {
        hint: 'give each prompt its own id',
      },
    );
  }
  return prompts;
}

/** The workers' caps summed: a directory job keeps every worker as busy as it accepts. */
export async function workersConcurrency(workersFile: string): Promise<number | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(workersFile, 'utf8'));
  } catch {
    return undefined; // loading the scenario reports what is wrong with the file
  }
  const parsed = WorkersFileSchema.safeParse(value);
  if (!parsed.success) return undefined;
  if (parsed.data.workers.some((w) => w.max_concurrent_requests === undefined)) {
    throw new LlmbenchError(
      ErrorCodes.USAGE,
      `${workersFile}: a worker has no max_concurrent_requests, so how many tasks to send at once is not known`,
      {
        hint: 'set max_concurrent_requests for every worker, or pass --concurrency <n>',
      },
    );
  }
  return parsed.data.workers.reduce((n, w) => n + w.max_concurrent_requests!, 0);
}

/** The loaded scenario with the job attached to every experiment's workload. */
export function withDirectoryJob(scenario: LoadedScenario, job: DirectoryJob): LoadedScenario {
  return {
    ...scenario,
    experiments: scenario.experiments.map((e) => ({ ...e, workload: withDirectoryJobWorkload(e.workload, job) })),
  };
}

/**
 * An experiment whose workload is a directory job, planned as it starts: its requests are the tasks
 * not yet saved under its out folder ("{experiment}" and "{timestamp}" replaced). Others unchanged.
 */
export async function withPlannedJob(e: ResolvedExperiment, stamp: string, logger: Logger): Promise<ResolvedExperiment> {
  const spec = e.workload.directorySpec;
  if (!spec) return e;
  const out = spec.out.replaceAll('{experiment}', e.name).replaceAll('{timestamp}', stamp);
  const plan = await planDirectoryJob({ input: spec.input, out, preset: spec.preset, prompts: spec.prompts });
  logger.info(
    `${e.name}: ${plan.job.documents.length} documents x ${spec.prompts.length} prompts = ${plan.tasks} tasks, ${plan.done} already saved in ${out}${plan.pdfs ? `; ${plan.pdfs} PDFs skipped (no text to extract: convert them to .txt first)` : ''}`,
  );
  return { ...e, workload: withDirectoryJobWorkload(e.workload, plan.job) };
}

function withDirectoryJobWorkload(w: ResolvedExperiment['workload'], job: DirectoryJob): ResolvedExperiment['workload'] {
  return { ...w, requests: job.pending.length, warmup: 0, directory: job };
}
