// An external backend plugin as its author would write it: plain ESM, depending on @llmbench/plugin-api
// only (no options, so no zod of its own). OpenAI-style POST /v1/completions with fetch, JSON or SSE.
import { defineBackend } from '@llmbench/plugin-api';

function failed(error, signal) {
  if (signal?.aborted) return { kind: 'aborted', message: 'cancelled' };
  const cause = error?.cause;
  return { kind: 'connection_error', ...(cause?.code ? { code: cause.code } : {}), message: cause?.message ?? String(error) };
}

function tokenUsage(usage) {
  return usage
    ? { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, source: 'server' }
    : { source: 'none' };
}

async function readStream(res, clock, sentAt) {
  const decoder = new TextDecoder();
  const chunkTimes = [];
  let usage;
  let buffered = '';
  for await (const bytes of res.body) {
    const at = clock.now();
    buffered += decoder.decode(bytes, { stream: true });
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const data = buffered
        .slice(0, end)
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n');
      buffered = buffered.slice(end + 2);
      if (data === '[DONE]')
        return { kind: 'ok', status: res.status, usage: tokenUsage(usage), sentAt, firstTokenAt: chunkTimes[0], chunkTimes };
      let chunk;
      try {
        chunk = JSON.parse(data);
      } catch {
        return { kind: 'protocol_error', message: `stream event is not valid JSON: ${data.slice(0, 80)}` };
      }
      if (chunk.choices?.length > 0) chunkTimes.push(at);
      if (chunk.usage) usage = chunk.usage;
    }
  }
  return { kind: 'protocol_error', message: 'stream ended before data: [DONE]' };
}

export default defineBackend({
  name: 'echo',
  description: 'POST <server url>/v1/completions with fetch; a JSON answer, or SSE when the workload streams.',
  create(ctx) {
    const origin = new URL(ctx.server.url ?? 'http://127.0.0.1:8000').origin;
    const headers = { 'content-type': 'application/json' };
    return {
      async setup() {
        const res = await fetch(`${origin}/v1/models`);
        await res.body?.cancel();
        if (!res.ok) throw new Error(`GET ${origin}/v1/models answered ${res.status}`);
      },
      async send(request, signal) {
        const model = ctx.server.model ?? request.model;
        const body = JSON.stringify({
          ...(model === undefined ? {} : { model }),
          prompt: request.messages.map((m) => m.content).join('\n\n'),
          ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
          ...(request.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        });
        try {
          const sentAt = ctx.clock.now();
          const res = await fetch(`${origin}/v1/completions`, { method: 'POST', headers, body, signal });
          if (!res.ok) {
            const text = await res.text();
            const retryAfter = Number(res.headers.get('retry-after') ?? Number.NaN);
            return {
              kind: 'http_error',
              status: res.status,
              message: text.slice(0, 200),
              ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}),
            };
          }
          if (request.stream) return await readStream(res, ctx.clock, sentAt);
          const text = await res.text();
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            return { kind: 'protocol_error', message: 'response is not valid JSON' };
          }
          if (!Array.isArray(json?.choices)) return { kind: 'protocol_error', message: 'response has no choices' };
          return { kind: 'ok', status: res.status, usage: tokenUsage(json.usage), sentAt };
        } catch (error) {
          return failed(error, signal);
        }
      },
    };
  },
});
