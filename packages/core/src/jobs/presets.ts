import { z } from 'zod';

const promptId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]*$/,
    'use letters, digits, "_" and "-", starting with a letter or digit (it names the answer file)',
  );

/** One prompt of a preset: its text, or `{ id, prompt }` to name its answer file (`<id>.md`). */
export const PresetPromptSchema = z
  .union([z.string().min(1), z.strictObject({ id: promptId, prompt: z.string().min(1) })])
  .meta({ id: 'PresetPrompt' });

/** A preset: the prompts every document of a directory job is asked. */
export const PresetSchema = z
  .array(PresetPromptSchema)
  .min(1)
  .describe("Prompts asked of every document; a string prompt's answer file is prompt-<n>.md.");

/** `--preset-file`: a JSON or YAML file holding one preset (a list of prompts) or `{ name: [prompt, ...] }`. */
export const PresetsSchema = z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/), PresetSchema);

export interface PresetPrompt {
  readonly id: string;
  readonly prompt: string;
}

/**
 * The first seed's "research" preset: five prompts per paper (its 100 papers make 500 tasks). The
 * guide names the preset without listing its prompts; these are the five the seed's process-directory
 * scenario has always used.
 */
export const RESEARCH_PRESET: readonly PresetPrompt[] = [
  { id: 'summary', prompt: "Summarize the paper's main contribution in three sentences." },
  { id: 'methods', prompt: "List the paper's methods and datasets." },
  { id: 'results', prompt: "What are the paper's key results, with numbers?" },
  { id: 'limitations', prompt: 'What limitations do the authors acknowledge?' },
  { id: 'follow-up', prompt: 'Suggest two follow-up experiments.' },
];

export const BUILTIN_PRESETS: Readonly<Record<string, readonly PresetPrompt[]>> = { research: RESEARCH_PRESET };

/** The system prompt of a directory job unless the user gives one. */
export const DIRECTORY_SYSTEM_PROMPT = 'You are a research assistant. Answer from the document you are given.';

/** A preset as written, with every prompt given an id (`prompt-<n>` for string prompts, 1-based). */
export function presetPrompts(preset: z.output<typeof PresetSchema>): PresetPrompt[] {
  return preset.map((p, i) => (typeof p === 'string' ? { id: `prompt-${i + 1}`, prompt: p } : p));
}

/** Ids used twice in a preset (answer files would overwrite each other). */
export function duplicateIds(prompts: readonly PresetPrompt[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const p of prompts) (seen.has(p.id) ? twice : seen).add(p.id);
  return [...twice];
}
