/**
 * The `src/` of a new plugin, per kind: a working skeleton and tests that pass as generated. The
 * text is TypeScript source written out verbatim (`\${` is a `${` in the generated file).
 */
import type { PluginKind } from '@llmbench/plugin-api';

export interface SourceInput {
  readonly kind: PluginKind;
  readonly name: string;
  readonly description: string;
  /** workspace: the backend test starts `startMockHttpServer`; external: it starts `llmbench mock-server`. */
  readonly mode: 'workspace' | 'external';
}

export function sourceFiles(input: SourceInput): Record<string, string> {
  switch (input.kind) {
    case 'backend':
      return { 'src/index.ts': backendSource(input), 'src/index.test.ts': backendTest(input) };
    case 'strategy':
      return { 'src/index.ts': strategySource(input), 'src/index.test.ts': strategyTest(input) };
    case 'reporter':
      return { 'src/index.ts': reporterSource(input), 'src/index.test.ts': reporterTest(input) };
    case 'collector':
      return { 'src/index.ts': collectorSource(input), 'src/index.test.ts': collectorTest(input) };
  }
}

/** A single-quoted TypeScript string literal of `text`. */
const q = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;

function backendSource({ name, description }: SourceInput): string {
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

function backendTest({ mode }: SourceInput): string {
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

function strategySource({ name, description }: SourceInput): string {
  return `import { z } from 'zod';
import { defineStrategy } from '@llmbench/plugin-api';

export const OptionsSchema = z.strictObject({
  levels: z.array(z.number().int().positive()).min(1).default([1, 4, 16]).describe('Concurrency of each load point, in order.'),
  requests: z.number().int().positive().optional().describe("Requests per point (default: the workload's)."),
  stop_below_gain: z
    .number()
    .min(0)
    .default(0)
    .describe('Skip the remaining levels once throughput grows by less than this fraction (0.05: 5%) from one level to the next; 0 runs every level.'),
});

export type Options = z.output<typeof OptionsSchema>;

/** One load point per concurrency level; optionally stops once more concurrency stops paying. */
export default defineStrategy({
  name: ${q(name)},
  description: ${q(description)},
  options: OptionsSchema,
  create: (_ctx, options) => ({
    points: () =>
      options.levels.map((concurrency) => ({
        label: \`concurrency=\${concurrency}\`,
        concurrency,
        ...(options.requests === undefined ? {} : { requests: options.requests }),
        params: { concurrency },
      })),
    shouldContinue(done) {
      if (options.stop_below_gain === 0 || done.length < 2) return true;
      const [previous, last] = done.slice(-2).map((e) => e.summary.requests_per_second) as [number, number];
      return previous === 0 || (last - previous) / previous >= options.stop_below_gain;
    },
  }),
});
`;
}

function strategyTest(_input: SourceInput): string {
  return `import { expect, test } from 'vitest';
import type { ExperimentResult } from '@llmbench/plugin-api';
import plugin from './index.js';

const ctx = { logger: console, clock: { now: () => 0 }, scenarioDir: process.cwd(), seed: 1 };
const input = { requests: 100, servers: 1, caps: [Infinity] };

/** A measured point, with only the fields this strategy reads. */
const measured = (requestsPerSecond: number) => ({ summary: { requests_per_second: requestsPerSecond } }) as unknown as ExperimentResult;

test('one point per level, in order, labelled with its concurrency', async () => {
  const strategy = await plugin.create(ctx, plugin.options.parse({ levels: [2, 8], requests: 50 }));
  expect(strategy.points(input)).toEqual([
    { label: 'concurrency=2', concurrency: 2, requests: 50, params: { concurrency: 2 } },
    { label: 'concurrency=8', concurrency: 8, requests: 50, params: { concurrency: 8 } },
  ]);
});

test('the points take the workload\\'s request count when none is given', async () => {
  const strategy = await plugin.create(ctx, plugin.options.parse({}));
  expect(strategy.points(input).map((p) => [p.concurrency, p.requests])).toEqual([[1, undefined], [4, undefined], [16, undefined]]);
});

test('stops once throughput grows by less than stop_below_gain', async () => {
  const strategy = await plugin.create(ctx, plugin.options.parse({ stop_below_gain: 0.1 }));
  expect(strategy.shouldContinue?.([measured(100), measured(150)])).toBe(true);
  expect(strategy.shouldContinue?.([measured(100), measured(150), measured(155)])).toBe(false);
});

test('the options reject a level of 0 and unknown fields', () => {
  expect(plugin.options.safeParse({ levels: [0] }).success).toBe(false);
  expect(plugin.options.safeParse({ level: [4] }).success).toBe(false);
});
`;
}

function reporterSource({ name, description }: SourceInput): string {
  return `import { z } from 'zod';
import { defineReporter, writeFileAtomic, type ExperimentResult } from '@llmbench/plugin-api';

export const OptionsSchema = z.strictObject({
  output: z
    .string()
    .min(1)
    .default('results/{scenario}-{timestamp}.csv')
    .describe('Where to write; {scenario} and {timestamp} are replaced. Relative to the current directory.'),
  separator: z.enum([',', ';', '\\t']).default(',').describe('Column separator.'),
});

export type Options = z.output<typeof OptionsSchema>;

const COLUMNS = ['experiment', 'requests', 'success_rate', 'requests_per_second', 'latency_p50_ms', 'latency_p99_ms'] as const;

function row(e: Readonly<ExperimentResult>): (string | number)[] {
  const s = e.summary;
  return [e.name, s.requests, s.success_rate, s.requests_per_second, s.latency_ms?.p50 ?? '', s.latency_ms?.p99 ?? ''];
}

/** One line per experiment result, written when the run ends. */
export default defineReporter({
  name: ${q(name)},
  description: ${q(description)},
  options: OptionsSchema,
  create(ctx, options) {
    const lines = [COLUMNS.join(options.separator)];
    return {
      onExperimentEnd(experiment) {
        lines.push(row(experiment).join(options.separator));
      },
      async onRunEnd() {
        const path = ctx.resolveOutput(options.output);
        await writeFileAtomic(path, \`\${lines.join('\\n')}\\n\`);
        ctx.fileWritten(path);
      },
    };
  },
});
`;
}

function reporterTest(_input: SourceInput): string {
  return `import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { ExperimentResult, ReporterContext, RunResults } from '@llmbench/plugin-api';
import plugin from './index.js';

/** An experiment result with only the fields this reporter reads. */
const result = (name: string, requestsPerSecond: number, p50: number | null) =>
  ({ name, summary: { requests: 100, success_rate: 1, requests_per_second: requestsPerSecond, latency_ms: p50 === null ? null : { p50, p99: p50 * 2 } } }) as unknown as ExperimentResult;

async function context(): Promise<{ ctx: ReporterContext; written: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'reporter-test-'));
  const written: string[] = [];
  const ctx: ReporterContext = {
    logger: console,
    clock: { now: () => 0 },
    scenarioDir: dir,
    seed: 1,
    out: { write() {}, isTTY: false },
    resolveOutput: (template) => join(dir, template.replace('{scenario}', 'demo').replace('{timestamp}', 't0')),
    fileWritten: (path) => void written.push(path),
  };
  return { ctx, written };
}

test('writes one line per experiment where resolveOutput says, and reports the file', async () => {
  const { ctx, written } = await context();
  const reporter = await plugin.create(ctx, plugin.options.parse({ output: 'out/{scenario}.csv' }));
  await reporter.onExperimentEnd?.(result('c1', 40.5, 24));
  await reporter.onExperimentEnd?.(result('c8', 210, null));
  await reporter.onRunEnd?.({} as RunResults);
  expect(written).toEqual([ctx.resolveOutput('out/{scenario}.csv')]);
  expect(await readFile(written[0]!, 'utf8')).toBe(
    'experiment,requests,success_rate,requests_per_second,latency_p50_ms,latency_p99_ms\\nc1,100,1,40.5,24,48\\nc8,100,1,210,,\\n',
  );
});

test('the options reject an empty output and unknown fields', () => {
  expect(plugin.options.safeParse({ output: '' }).success).toBe(false);
  expect(plugin.options.safeParse({ outptu: 'x.csv' }).success).toBe(false);
});
`;
}

function collectorSource({ name, description }: SourceInput): string {
  return `import { z } from 'zod';
import { defineCollector } from '@llmbench/plugin-api';

export const MEMORY_FIELDS = ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers'] as const;

export const OptionsSchema = z.strictObject({
  fields: z
    .array(z.enum(MEMORY_FIELDS))
    .min(1)
    .default(['rss', 'heapUsed'])
    .describe('Fields of process.memoryUsage() to sample; each is reported as <field>_mb.'),
});

export type Options = z.output<typeof OptionsSchema>;

/** The llmbench process's own memory (MiB) while the measured runs execute. */
export default defineCollector({
  name: ${q(name)},
  description: ${q(description)},
  options: OptionsSchema,
  create(_ctx, options) {
    return {
      sample() {
        const usage = process.memoryUsage();
        return Object.fromEntries(options.fields.map((field) => [\`\${field}_mb\`, Math.round((usage[field] / 2 ** 20) * 10) / 10]));
      },
    };
  },
});
`;
}

function collectorTest(_input: SourceInput): string {
  return `import { expect, test } from 'vitest';
import plugin from './index.js';

const ctx = { logger: console, clock: { now: () => 0 }, scenarioDir: process.cwd(), seed: 1 };

test('samples the chosen fields of the process memory, in MiB', async () => {
  const collector = await plugin.create(ctx, plugin.options.parse({ fields: ['rss', 'heapTotal'] }));
  const reading = await collector.sample();
  expect(Object.keys(reading)).toEqual(['rss_mb', 'heapTotal_mb']);
  // rss includes the heap: both are real, and in MiB rather than bytes.
  expect(reading['rss_mb']).toBeGreaterThanOrEqual(reading['heapTotal_mb']!);
  expect(reading['rss_mb']).toBeLessThan(process.memoryUsage().rss / 2 ** 10);
});

test('memory the process holds shows in the readings', async () => {
  const collector = await plugin.create(ctx, plugin.options.parse({ fields: ['arrayBuffers'] }));
  const before = (await collector.sample())['arrayBuffers_mb']!;
  const held = Buffer.alloc(64 * 2 ** 20, 1);
  const after = (await collector.sample())['arrayBuffers_mb']!;
  expect(held.length).toBe(64 * 2 ** 20);
  expect(after - before).toBeGreaterThanOrEqual(63.9);
});

test('the options reject an unknown field', () => {
  expect(plugin.options.safeParse({ fields: ['heap'] }).success).toBe(false);
});
`;
}
