import { parseSource } from '../scenario/source.js';
import { capped, jsonLines, readData, type DataIssue, type Loaded } from './data.js';
import type { ShareGptSource } from './schema.js';

export interface ShareGptPrompts {
  readonly prompts: string[];
  /** With `multi_turn`: the human turns of each conversation (the first is its prompt). */
  readonly turns?: string[][];
  /** The recorded answer of each prompt, when `output_length: recorded` asks for its length. */
  readonly answers?: string[];
}

interface Turn {
  readonly from?: unknown;
  readonly value?: unknown;
}

/**
 * Prompts from a ShareGPT-shaped dataset (.json list or .jsonl): the first human turn of each
 * conversation, and with `output_length: recorded` the gpt turn that answered it; with `multi_turn`
 * every human turn (the gpt turns are left out: the server's own answers take their place). A conversation
 * without a human turn (or, when answers are wanted, without an answer to it) is skipped, as peers
 * do with such datasets; one that is not in the shape at all is an issue at its line.
 */
export async function loadShareGpt(source: ShareGptSource, file: string): Promise<Loaded<ShareGptPrompts>> {
  const text = await readData(file);
  if (!text.ok) return text;
  const items = file.toLowerCase().endsWith('.jsonl') ? fromJsonl(file, text.value) : fromJson(file, text.value);
  if (items.issues.length) return { ok: false, issues: capped(items.issues) };
  const wantAnswers = source.output_length === 'recorded';
  const prompts: string[] = [];
  const answers: string[] = [];
  const conversations: string[][] = [];
  const issues: DataIssue[] = [];
  for (const [k, { value }] of items.values.entries()) {
    const turns = (value as { conversations?: unknown } | null)?.conversations;
    if (
      !Array.isArray(turns) ||
      !turns.every(
        (t: Turn | null) => t !== null && typeof t === 'object' && typeof t.from === 'string' && typeof t.value === 'string',
      )
    ) {
      issues.push({
        file,
        ...lineOf(items, k, text.value, file),
        message: 'not a ShareGPT conversation',
        hint: 'expected {"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", "value": "..."}]}',
      });
      continue;
    }
    if (source.multi_turn) {
      const humans = (turns as Turn[])
        .filter((t) => isHuman(t) && t.value !== '')
        .map((t) => t.value as string)
        .slice(0, source.max_turns);
      if (humans.length === 0) continue;
      prompts.push(humans[0]!);
      conversations.push(humans);
      if (source.limit !== undefined && prompts.length >= source.limit) break;
      continue;
    }
    const human = (turns as Turn[]).findIndex(isHuman);
    if (human < 0 || (turns[human] as Turn).value === '') continue;
    const answer = turns[human + 1] as Turn | undefined;
    const answered = answer !== undefined && (answer.from === 'gpt' || answer.from === 'assistant') && answer.value !== '';
    if (wantAnswers && !answered) continue;
    prompts.push((turns[human] as Turn).value as string);
    if (wantAnswers) answers.push(answer!.value as string);
    if (source.limit !== undefined && prompts.length >= source.limit) break;
  }
  if (issues.length) return { ok: false, issues: capped(issues) };
  if (prompts.length === 0) {
    return {
      ok: false,
      issues: [
        {
          file,
          message: `has no conversation with a human turn${wantAnswers ? ' answered by a gpt turn' : ''}`,
          hint: 'check that this is a ShareGPT-shaped dataset',
        },
      ],
    };
  }
  return {
    ok: true,
    value: source.multi_turn ? { prompts, turns: conversations } : wantAnswers ? { prompts, answers } : { prompts },
  };
}

const isHuman = (t: Turn): boolean => t.from === 'human' || t.from === 'user';

interface Items {
  readonly values: { line?: number; value: unknown }[];
  readonly issues: DataIssue[];
  readonly json?: true;
}

function fromJsonl(file: string, text: string): Items {
  return jsonLines(file, text);
}

function fromJson(file: string, text: string): Items {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      values: [],
      issues: [
        {
          file,
          message: `not valid JSON (${(error as Error).message})`,
          hint: 'a ShareGPT file is a JSON list of conversations (or use .jsonl, one per line)',
        },
      ],
    };
  }
  if (!Array.isArray(value))
    return {
      values: [],
      issues: [{ file, line: 1, message: 'is not a JSON list of conversations', hint: 'write [{"conversations": [...]}, ...]' }],
    };
  return { values: value.map((v: unknown) => ({ value: v })), issues: [], json: true };
}

/** The line of item k: known for JSONL; for a JSON list, found by parsing with positions (only on this error path). */
function lineOf(items: Items, k: number, text: string, file: string): { line?: number } {
  const known = items.values[k]?.line;
  if (known !== undefined) return { line: known };
  if (!items.json) return {};
  const pos = parseSource(file, text).locate([k]);
  return pos ? { line: pos.line } : {};
}
