import { z } from 'zod';
import { SYNTHETIC_DEFAULTS } from '../defaults.js';

/**
 * Workload sources beyond a list of prompts: records feeding a template, ShareGPT chat datasets,
 * and synthetic prompts of given token lengths; and how prompts are sampled. Part of the scenario
 * format (see ../scenario/schema.ts), so `schemas/scenario.schema.json` is generated from these.
 */

const count = z.number().int().positive();

export const LengthSchema = z
  .union([
    count.describe('A fixed length.'),
    z.strictObject({ fixed: count }),
    z.strictObject({
      uniform: z.strictObject({ min: count, max: count }).refine((u) => u.min <= u.max, { message: 'min must be <= max' }),
    }),
    z
      .strictObject({ normal: z.strictObject({ mean: z.number().positive(), stddev: z.number().nonnegative() }) })
      .describe('Rounded, and clamped to >= 1.'),
    z.strictObject({ list: z.array(count).min(1).describe('Each request draws one of these, equally likely.') }),
  ])
  .describe(
    "A length in tokens: a number (fixed), { fixed }, { uniform: { min, max } }, { normal: { mean, stddev } } or { list: [...] }; drawn from the scenario's seed.",
  )
  .meta({ id: 'Length' });

export const RecordsSchema = z
  .strictObject({
    file: z
      .string()
      .min(1)
      .describe('A .jsonl (one JSON object per line) or .csv file (header row names the fields), relative to the scenario.'),
    template: z.string().min(1).describe('The prompt: "{field}" becomes that field of the record, "{i}" the request index.'),
  })
  .describe('Prompts from records of a data file, one prompt per record.')
  .meta({ id: 'Records' });

export const ShareGptSchema = z
  .strictObject({
    file: z
      .string()
      .min(1)
      .describe('A .json file (a list of conversations) or .jsonl file (one per line), relative to the scenario.'),
    output_length: z
      .enum(['recorded'])
      .optional()
      .describe(
        '"recorded": max_tokens of each request is the length in tokens of the conversation\'s recorded answer (the first gpt turn after the first human turn). Default: the workload\'s max_tokens.',
      ),
    limit: count.optional().describe('Use only the first N usable conversations.'),
    multi_turn: z
      .boolean()
      .optional()
      .describe(
        "Send every human turn of a conversation, one after another, each with the history so far: the system prompt, the earlier human turns and the answers the server gave to them (the dataset's gpt turns are not sent). A conversation is one unit of work: the workload's requests and warmup count conversations. Default false (first human turn only).",
      ),
    max_turns: count
      .optional()
      .describe('With multi_turn: send at most the first N human turns of each conversation (default: all).'),
    think_time_ms: z
      .number()
      .nonnegative()
      .optional()
      .describe(
        'With multi_turn: wait this long after an answer before sending the next turn, the conversation keeping its concurrency slot (default 0).',
      ),
  })
  .superRefine((s, ctx) => {
    if (s.multi_turn && s.output_length !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['output_length'],
        message:
          "output_length: recorded applies to first-turn prompts; with multi_turn every turn is capped by the workload's max_tokens",
        params: { hint: 'remove output_length, or multi_turn' },
      });
    if (!s.multi_turn)
      for (const f of ['max_turns', 'think_time_ms'] as const)
        if (s[f] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [f],
            message: `${f} needs multi_turn: true`,
            params: { hint: `add multi_turn: true, or remove ${f}` },
          });
  })
  .describe(
    'A chat dataset in the ShareGPT shape ({"conversations": [{"from": "human"|"gpt", "value": "..."}]}): the first human turn is the prompt, or with multi_turn every human turn in order.',
  )
  .meta({ id: 'ShareGpt' });

export const TOKENIZERS = ['server', 'library', 'estimate'] as const;

export const SyntheticSchema = z
  .strictObject({
    input_tokens: LengthSchema.describe(
      "Prompt length in the model's tokens, as the server counts them (usage.prompt_tokens: chat template and system prompt included).",
    ),
    output_tokens: LengthSchema.optional().describe(
      "max_tokens of each request (default: the workload's max_tokens). To get exactly this many, have the backend ignore end-of-sequence tokens (its options: llmbench plugins).",
    ),
    prefix_tokens: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe(
        `Tokens of one prefix every prompt starts with (for prefix-cache experiments); part of input_tokens (default ${SYNTHETIC_DEFAULTS.prefix_tokens}).`,
      ),
    prompts: count
      .optional()
      .describe(
        `Distinct prompts generated (default: warmup + requests, at most ${SYNTHETIC_DEFAULTS.max_prompts}); requests use them according to sampling.`,
      ),
    tokenizer: z
      .enum(TOKENIZERS)
      .optional()
      .describe(
        `How lengths are counted: "server" (the server's POST /tokenize, falling back to "library" when it has none), "library" (gpt-tokenizer's o200k encoding: exact for OpenAI models only) or "estimate" (4 characters per token). Default "${SYNTHETIC_DEFAULTS.tokenizer}".`,
      ),
  })
  .describe('Synthetic prompts of vocabulary words, built to exact token lengths before the load starts.')
  .meta({ id: 'Synthetic' });

export const SAMPLING = ['in_order', 'shuffle', 'with_replacement'] as const;
export const SamplingSchema = z
  .enum(SAMPLING)
  .describe(
    'How requests pick prompts: in_order (in turn), shuffle (in turn over a seeded permutation), with_replacement (each request draws one, seeded). The same seed gives the same requests whatever the thread count (default in_order).',
  );

export const workloadSourceFields = {
  records: RecordsSchema,
  sharegpt: ShareGptSchema,
  synthetic: SyntheticSchema,
  sampling: SamplingSchema,
};

export type Length = z.output<typeof LengthSchema>;
export type RecordsSource = z.output<typeof RecordsSchema>;
export type ShareGptSource = z.output<typeof ShareGptSchema>;
export type SyntheticSource = z.output<typeof SyntheticSchema>;
export type Sampling = z.output<typeof SamplingSchema>;
export type TokenizerKind = (typeof TOKENIZERS)[number];
