import type { Backend, Logger } from '@llmbench/plugin-api';
import type { TokenizerKind } from './schema.js';
import type { TokenCounter } from './synthetic.js';

/**
 * gpt-tokenizer's default (o200k_base) encoding: exact for recent OpenAI models, near for others.
 * Loaded on first count: building its tables costs ~200 ms of CPU, which every command paid at
 * start-up when it was imported with core, though only synthetic workloads count tokens.
 */
let library: Promise<(text: string) => number> | undefined;
export const libraryCounter: TokenCounter = {
  kind: 'library',
  count: async (text) => {
    library ??= import('gpt-tokenizer').then((m) => m.countTokens);
    return (await library)(text);
  },
};

/** Four characters per token: a rough estimate, marked as such in results. */
export const estimateCounter: TokenCounter = {
  kind: 'estimate',
  count: (text) => Promise.resolve(Math.max(1, Math.ceil(text.length / 4))),
};

/**
 * The counter asked for: the server's own tokenizer (`Backend.tokenize`) when the backend offers
 * one and the server answers, else the library; "library" and "estimate" as named.
 */
export async function chooseCounter(
  kind: TokenizerKind,
  backend: Backend,
  server: string,
  logger: Logger,
): Promise<TokenCounter> {
  if (kind === 'estimate') return estimateCounter;
  if (kind === 'library' || !backend.tokenize) {
    if (kind === 'server')
      logger.info(
        `${server}: its backend cannot ask the server's tokenizer; counting tokens with gpt-tokenizer (o200k), which is exact only for OpenAI models`,
      );
    return libraryCounter;
  }
  let probe: number | undefined;
  let why = 'it has no tokenize endpoint';
  try {
    probe = await backend.tokenize('hello');
  } catch (error) {
    why = (error as Error).message;
  }
  if (probe === undefined) {
    logger.info(
      `${server}: cannot ask the server's tokenizer (${why}); counting tokens with gpt-tokenizer (o200k), which is exact only for OpenAI models`,
    );
    return libraryCounter;
  }
  const tokenize = backend.tokenize.bind(backend);
  return {
    kind: 'server',
    async count(text) {
      const n = await tokenize(text);
      if (n === undefined) throw new Error('the server stopped answering POST /tokenize');
      return n;
    },
  };
}
