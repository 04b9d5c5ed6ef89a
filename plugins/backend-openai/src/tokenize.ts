import { request } from './undici.js';

/**
 * Counts tokens with the server's own tokenizer: `POST /tokenize` at the server's root, as vLLM
 * (`{model, prompt, add_special_tokens}` -> `{count, tokens}`) and llama.cpp's llama-server
 * (`{content, add_special}` -> `{tokens}`) offer it. One body carries both shapes' fields; no
 * special tokens are added. Undefined when the server has no such endpoint (404, 405, 501).
 */
export function serverTokenizer(
  origin: string,
  headers: Readonly<Record<string, string>>,
  model: () => string | undefined,
): (text: string) => Promise<number | undefined> {
  return async (text) => {
    const m = model();
    const res = await request(`${origin}/tokenize`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        ...(m === undefined ? {} : { model: m }),
        prompt: text,
        content: text,
        add_special: false,
        add_special_tokens: false,
      }),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const body = await res.body.text();
    if (res.statusCode === 404 || res.statusCode === 405 || res.statusCode === 501) return undefined;
    if (res.statusCode < 200 || res.statusCode >= 300)
      throw new Error(`POST /tokenize answered ${res.statusCode}: ${body.slice(0, 200)}`);
    const parsed = JSON.parse(body) as { count?: unknown; tokens?: unknown };
    if (typeof parsed.count === 'number') return parsed.count;
    if (Array.isArray(parsed.tokens)) return parsed.tokens.length;
    throw new Error('POST /tokenize answered without "tokens" or "count"');
  };
}
