/** A new backend plugin's src/index.ts and its contract-kit test against the mock server (`\${` is a `${` in the generated file). */
import { q, type SourceInput } from './shared.js';

export function backendSource({ name, description }: SourceInput): string {
  return `import { Pool, type Dispatcher } from 'undici';
import { z } from 'zod';
import { defineBackend, ErrorCodes, LlmbenchError, type BenchRequest, type Clock, type Outcome, type TokenUsage } from '@llmbench/plugin-api';

export const OptionsSchema = z.strictObject({
  base_url: z.url().optional().describe("Server origin, e.g. http://127.0.0.1:8000 (default: the server's url)."),
  path_prefix: z.string().default('/v1').describe('Prefix of the API paths: requests go to <prefix>/chat/completions.'),
  api_key: z.string().optional().describe('Sent as "Authorization: Bearer <key>"; write \${env:NAME} to take it from the environment.'),
  connections: z.number().int().positive().default(64).describe('Sockets per worker thread.'),
  headers_timeout_ms: z.number().int().positive().default(300_000).describe('Most time to wait for the response headers.'),
});

export type Options = z.output<typeof OptionsSchema>;

/**
 * An OpenAI-compatible chat backend over undici: JSON or SSE, every result an Outcome. Replace the
 * body in \`bodyOf\` and the parsing in \`readJson\` / \`readStream\` for another dialect.
 */
export default defineBackend({
  name: ${q(name)},
  description: ${q(description)},
  options: OptionsSchema,
  create(ctx, options) {
    const origin = options.base_url ?? ctx.server.url;
    if (origin === undefined) {
      throw new LlmbenchError(ErrorCodes.CONFIG_INVALID, \`server "\${ctx.server.id}" has no url for the ${name} backend\`, {
        hint: 'give the server a url (or host and port), or set base_url in the backend options',
      });
    }
    const pool = new Pool(new URL(origin).origin, { connections: options.connections, headersTimeout: options.headers_timeout_ms, bodyTimeout: 0 });
    const path = \`\${options.path_prefix}/chat/completions\`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.api_key) headers['authorization'] = \`Bearer \${options.api_key}\`;
    // Prompts are reused across requests: build each body once per message array.
    const bodies = { json: new WeakMap<object, string>(), stream: new WeakMap<object, string>() };
    const bodyOf = (request: BenchRequest): string => {
      const cache = request.stream ? bodies.stream : bodies.json;
      let body = cache.get(request.messages);
      if (body === undefined) {
        const model = ctx.server.model ?? request.model;
        body = JSON.stringify({
          ...(model === undefined ? {} : { model }),
          messages: request.messages,
          ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
          ...(request.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        });
        cache.set(request.messages, body);
      }
      return body;
    };
    return {
      async send(request, signal) {
        const body = bodyOf(request);
        const sentAt = ctx.clock.now();
        try {
          const response = await pool.request({ method: 'POST', path, headers, body, signal });
          if (response.statusCode < 200 || response.statusCode >= 300) {
            const text = await response.body.text();
            const retryAfter = Number([response.headers['retry-after']].flat()[0]);
            return {
              kind: 'http_error',
              status: response.statusCode,
              message: text.slice(0, 200),
              ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}),
            };
          }
          return request.stream
            ? await readStream(response.body, ctx.clock, sentAt, response.statusCode)
            : await readJson(response.body, ctx.clock, sentAt, response.statusCode);
        } catch (error) {
          return outcomeOf(error, signal);
        }
      },
      teardown: () => pool.destroy(),
    };
  },
});

type Body = Dispatcher.ResponseData['body'];

interface Completion {
  choices?: { delta?: { content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

function usageOf(raw: Completion['usage']): TokenUsage | undefined {
  if (!raw || typeof raw.completion_tokens !== 'number') return undefined;
  return { outputTokens: raw.completion_tokens, ...(typeof raw.prompt_tokens === 'number' ? { inputTokens: raw.prompt_tokens } : {}), source: 'server' };
}

async function readJson(body: Body, clock: Clock, sentAt: number, status: number): Promise<Outcome> {
  const text = await body.text();
  const endedAt = clock.now();
  let parsed: Completion;
  try {
    parsed = JSON.parse(text) as Completion;
  } catch {
    return { kind: 'protocol_error', message: \`response is not JSON: \${text.slice(0, 60)}\` };
  }
  if (!Array.isArray(parsed.choices)) return { kind: 'protocol_error', message: 'response has no choices' };
  return { kind: 'ok', status, sentAt, endedAt, usage: usageOf(parsed.usage) ?? { source: 'none' } };
}

/** Reads server-sent events as they arrive, stamping each chunk with its arrival time. */
async function readStream(body: Body, clock: Clock, sentAt: number, status: number): Promise<Outcome> {
  const decoder = new TextDecoder();
  const chunkTimes: number[] = [];
  let pending = '';
  let usage: TokenUsage | undefined;
  let counted = 0;
  let done = false;
  let endedAt = sentAt;
  for await (const bytes of body) {
    endedAt = clock.now();
    pending += decoder.decode(bytes, { stream: true }).replace(/\\r/g, '');
    let end: number;
    while ((end = pending.indexOf('\\n\\n')) >= 0) {
      const event = pending.slice(0, end);
      pending = pending.slice(end + 2);
      for (const line of event.split('\\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        let chunk: Completion;
        try {
          chunk = JSON.parse(data) as Completion;
        } catch {
          return { kind: 'protocol_error', message: \`malformed SSE data: \${data.slice(0, 60)}\` };
        }
        const choice = chunk.choices?.[0];
        if (choice) {
          chunkTimes.push(endedAt);
          if (choice.delta?.content) counted++;
        }
        usage = usageOf(chunk.usage) ?? usage;
      }
    }
  }
  if (!done) return { kind: 'protocol_error', message: 'stream ended without data: [DONE]' };
  return {
    kind: 'ok',
    status,
    sentAt,
    endedAt,
    usage: usage ?? { outputTokens: counted, source: 'counted' },
    firstTokenAt: chunkTimes[0],
    chunkTimes,
  };
}

/** What a thrown error means: cancelled, a timeout of ours, or a connection that failed. */
function outcomeOf(error: unknown, signal: AbortSignal): Outcome {
  const message = error instanceof Error ? error.message : String(error);
  if (signal.aborted) return { kind: 'aborted', message };
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return { kind: 'timeout', phase: 'first_byte', message };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { kind: 'timeout', phase: 'connect', message };
  return { kind: 'connection_error', ...(typeof code === 'string' ? { code } : {}), message };
}
`;
}

export function backendTest({ mode }: SourceInput): string {
  if (mode === 'workspace') {
    return `import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMockHttpServer, type MockHttpServer } from '@llmbench/backend-mock';
import { mockServerControl, runBackendContract } from '@llmbench/plugin-api/testing';
import plugin from './index.js';

let server: MockHttpServer;

beforeAll(async () => {
  server = await startMockHttpServer({ mock: { latency: { model: 'tokens', ttft_ms: 5, itl_ms: 2 }, output_tokens: 6 } });
});

afterAll(() => server.close());

test('the backend passes the contract kit against the mock server', async () => {
  const checks = await runBackendContract({ plugin, options: {}, server: mockServerControl(server.url), model: 'mock-model' });
  expect(checks.filter((c) => !c.passed)).toEqual([]);
});

test('the server counts every request the backend sent', async () => {
  server.reset();
  const backend = await plugin.create(
    { logger: console, clock: { now: () => performance.now() }, scenarioDir: process.cwd(), seed: 1, server: { id: 'mock', url: server.url, maxConcurrentRequests: 4 } },
    plugin.options.parse({}),
  );
  const outcomes = [];
  for (let index = 0; index < 5; index++) {
    outcomes.push(await backend.send({ index, messages: [{ role: 'user', content: \`hello \${index}\` }], stream: index % 2 === 1, warmup: false }, new AbortController().signal));
  }
  await backend.teardown?.();
  expect(outcomes.map((o) => o.kind)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  expect(server.stats().responses_ok).toBe(5);
});
`;
  }
  return `import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mockServerControl, runBackendContract } from '@llmbench/plugin-api/testing';
import plugin from './index.js';

let server: ChildProcess;
let url: string;

/** Starts \`llmbench mock-server\` on a free loopback port and waits for the url it prints. */
beforeAll(async () => {
  const bin = join(dirname(createRequire(import.meta.url).resolve('llmbench/package.json')), 'bin/llmbench.js');
  server = spawn(process.execPath, [bin, 'mock-server', '--port', '0', '--options', '{"latency":{"model":"tokens","ttft_ms":5,"itl_ms":2},"output_tokens":6}']);
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /listening on (http:\\/\\/\\S+)/.exec(out);
      if (found) resolve(found[1]!);
    });
    server.once('exit', (code) => reject(new Error(\`llmbench mock-server exited with code \${code}\`)));
  });
});

afterAll(() => {
  server.kill();
});

test('the backend passes the contract kit against llmbench mock-server', async () => {
  const checks = await runBackendContract({ plugin, options: {}, server: mockServerControl(url), model: 'mock-model' });
  expect(checks.filter((c) => !c.passed)).toEqual([]);
});

test('the server counts every request the backend sent', async () => {
  await fetch(\`\${url}/llmbench/reset\`, { method: 'POST' });
  const backend = await plugin.create(
    { logger: console, clock: { now: () => performance.now() }, scenarioDir: process.cwd(), seed: 1, server: { id: 'mock', url, maxConcurrentRequests: 4 } },
    plugin.options.parse({}),
  );
  const outcomes = [];
  for (let index = 0; index < 5; index++) {
    outcomes.push(await backend.send({ index, messages: [{ role: 'user', content: \`hello \${index}\` }], stream: index % 2 === 1, warmup: false }, new AbortController().signal));
  }
  await backend.teardown?.();
  expect(outcomes.map((o) => o.kind)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  const stats = (await (await fetch(\`\${url}/llmbench/stats\`)).json()) as { responses_ok: number };
  expect(stats.responses_ok).toBe(5);
});
`;
}
