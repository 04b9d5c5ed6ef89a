import { hashString, mulberry32 } from '@llmbench/plugin-api';
import { drawLengths } from './lengths.js';
import type { SyntheticSource } from './schema.js';
import { SYNTHETIC_DEFAULTS } from '../defaults.js';

/** Counts the tokens of a text the way the target model does (or as near as the counter can). */
export interface TokenCounter {
  readonly kind: 'server' | 'library' | 'estimate';
  count(text: string): Promise<number>;
}

export interface SyntheticPrompts {
  readonly prompts: string[];
  /** Requested prompt tokens of each prompt (as the server counts them: template included). */
  readonly inputTokens: number[];
  /** max_tokens of each prompt, when output_tokens is set. */
  readonly outputTokens?: number[];
}

/** Common English words, each one token in the usual vocabularies; prompts are drawn from them. */
const VOCABULARY = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she ' +
  'there one all we their been has more if will would who so can said what about out when them some could into only other time ' +
  'new like than first then now also after people may two way made over did down most where just any many very well back much ' +
  'good years work long year world day three between both life being under never same last another while house might great old ' +
  'off come since against go came right used take school each found still place small water hand'
).split(' ');

/** Appended one at a time to reach the exact length when the words overshoot by one. */
const FILL = ' a';

/**
 * Builds synthetic prompts of given lengths in tokens. `overhead` is what the server adds around
 * the text (chat template, system prompt): a prompt of T tokens gets T - overhead tokens of text.
 * The text is the shared prefix (if any) then seeded vocabulary words; the number of words is
 * found by binary search on the counted length, then single-token fillers make up any shortfall.
 * Same seed, same prompts.
 */
export async function buildSynthetic(
  source: SyntheticSource,
  o: {
    readonly requests: number;
    readonly warmup: number;
    readonly seed: number;
    readonly counter: TokenCounter;
    readonly overhead: number;
  },
): Promise<SyntheticPrompts> {
  const n = source.prompts ?? Math.min(SYNTHETIC_DEFAULTS.max_prompts, Math.max(1, o.requests + o.warmup));
  const inputTokens = drawLengths(source.input_tokens, n, o.seed ^ hashString('input_tokens'));
  const outputTokens =
    source.output_tokens === undefined ? undefined : drawLengths(source.output_tokens, n, o.seed ^ hashString('output_tokens'));
  const prefixTokens = source.prefix_tokens ?? SYNTHETIC_DEFAULTS.prefix_tokens;
  const prefix = prefixTokens > 0 ? await fitWords('', words(o.seed ^ hashString('prefix')), prefixTokens, o.counter) : '';
  const prompts: string[] = [];
  for (let j = 0; j < n; j++) {
    const target = Math.max(prefixTokens + 1, inputTokens[j]! - o.overhead);
    prompts.push(await fitWords(prefix, words((o.seed ^ hashString('prompt')) + j), target, o.counter));
  }
  return { prompts, inputTokens, ...(outputTokens ? { outputTokens } : {}) };
}

/** An endless seeded stream of vocabulary words. */
function words(seed: number): (k: number) => string {
  const random = mulberry32(seed);
  const drawn: string[] = [];
  return (k) => {
    while (drawn.length <= k) drawn.push(VOCABULARY[Math.floor(random() * VOCABULARY.length)]!);
    return drawn[k]!;
  };
}

async function fitWords(prefix: string, word: (k: number) => string, target: number, counter: TokenCounter): Promise<string> {
  const text = (w: number): string => {
    let s = prefix;
    for (let k = 0; k < w; k++) s += s === '' ? word(k) : ` ${word(k)}`;
    return s;
  };
  // Every word is at least one token, so at most `target` words fit.
  let lo = 0;
  let hi = target;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((await counter.count(text(mid))) <= target) lo = mid;
    else hi = mid - 1;
  }
  let best = text(lo);
  for (let tries = 0; tries < 8; tries++) {
    const have = await counter.count(best);
    if (have >= target) break;
    best += best === '' ? FILL.trim() : FILL;
  }
  return best;
}
