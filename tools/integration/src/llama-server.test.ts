import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunResults } from '@llmbench/plugin-api';
import { bin, counters, present, reportAbsent, run, served, startLlama, stop, type Server } from './llama.js';

/**
 * llmbench against llama.cpp's own server (../shared/llama-server: the real llama-server, a tiny
 * random-weight model), checked against what the server itself counted: its /metrics counters and,
 * for requests (which /metrics does not count), its log's one "processing task" line per request.
 * Skips, saying why, only when that folder is absent; CI sets LLMBENCH_REQUIRE_LLAMA_SERVER=1 so a
 * missing server fails instead.
 */
reportAbsent('llama-server integration tests');

function scenario(url: string, backend: string, o: { stream: boolean; concurrency: number; requests: number }): string {
  return `servers: [{ id: llama, url: "${url}", backend: ${backend} }]
workload:
  requests: ${o.requests}
  max_tokens: 4
  stream: ${o.stream}
  timeout_ms: 20000
  system_prompt: "You are a test of llmbench against a real server: answer in one short sentence, please."
  prompts: ["Question number {i}: what comes next?", "Tell me about the colour of request {i}."]
experiments: [{ name: e, strategy: { use: semaphore, options: { concurrency: ${o.concurrency} } } }]
reporters: [console, json, markdown]
`;
}

async function results(dir: string): Promise<{ json: RunResults; md: string }> {
  const files = await readdir(dir);
  const json = files.find((f) => f.endsWith('.json'));
  const md = files.find((f) => f.endsWith('.md'));
  if (!json || !md) throw new Error(`expected a results file and a report in ${dir}, found ${files.join(', ')}`);
  return { json: JSON.parse(await readFile(join(dir, json), 'utf8')) as RunResults, md: await readFile(join(dir, md), 'utf8') };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

describe.skipIf(!present)("against llama.cpp's own server (--parallel 8)", () => {
  let work: string;
  let server: Server;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'llmbench-llama-'));
    server = await startLlama(work);
  }, 90_000);

  afterAll(() => stop(server));

  const cases = ['openai', 'llamacpp'].flatMap((backend) =>
    [false, true].flatMap((stream) => [1, 8].map((concurrency) => ({ backend, stream, concurrency }))),
  );

  test.each(cases)(
    "$backend, stream $stream, concurrency $concurrency: 500 requests, 0 failures, tokens and cache hits equal the server's counters",
    async ({ backend, stream, concurrency }) => {
      const dir = join(work, `${backend}-${stream ? 'sse' : 'json'}-c${concurrency}`);
      const file = `${dir}.yaml`;
      await writeFile(file, scenario(server.url, backend, { stream, concurrency, requests: 500 }));
      const before = await counters(server);
      const requestsBefore = await served(server);
      const cli = await run(process.execPath, [bin, 'run', file, '--out', dir, '--threads', '1']);
      expect(cli.stderr).not.toMatch(/INTERNAL|at .*\.js:\d+/);
      expect(cli.code, cli.stderr).toBe(0);
      const after = await counters(server);
      const { json, md } = await results(dir);
      const s = json.experiments[0]!.summary;

      expect(json.status).toBe('completed');
      expect(s.requests).toBe(500);
      expect(s.successes).toBe(500);
      expect(s.failures).toEqual({ http_error: 0, timeout: 0, connection_error: 0, protocol_error: 0, aborted: 0 });
      // The server took on exactly the requests measured: a resend follows a socket the server had
      // closed, so it never saw the first attempt.
      expect((await served(server)) - requestsBefore).toBe(500);

      const prompt = after.prompt_tokens_total! - before.prompt_tokens_total!;
      const cached = after.prompt_tokens_cached_total! - before.prompt_tokens_cached_total!;
      const predicted = after.tokens_predicted_total! - before.tokens_predicted_total!;
      expect(s.tokens.sources.server).toBe(500);
      expect(s.tokens.input).toBe(prompt + cached);
      expect(s.tokens.cached).toBe(cached);
      expect(s.tokens.output).toBe(predicted);
      expect(cached).toBeGreaterThan(0);
      const rate = Math.round((cached / (prompt + cached)) * 1e6) / 1e6;
      expect(s.prefix_cache_hit_rate).toBe(rate);
      expect(s.prefix_cache_source).toBe(backend === 'llamacpp' ? 'server_metrics' : 'usage');
      expect(cli.stdout).toContain(`Prefix cache hit rate: ${pct(rate)}`);
      expect(md).toMatch(new RegExp(`Prefix-cache hit rate \\| ${pct(rate).replace('.', '\\.')}`));
      expect(md).toContain('Input tokens');

      // Reconnects are counted and shown, never hidden: llama.cpp closes after every streamed answer.
      expect(s.servers[0]!.reconnects).toBe(s.reconnects);
      if (s.reconnects > 0) {
        expect(cli.stdout).toMatch(/reconnect/);
        expect(md).toMatch(/Reconnects/);
      }
      if (stream) {
        expect(s.no_reuse_requests).toBeGreaterThan(0);
        expect(md).toContain('closes its connection after answering');
      } else expect(s.reconnects + s.no_reuse_requests).toBe(0);
      if (stream) {
        expect(s.ttft_ms).not.toBeNull();
        expect(s.server_tpot_ms).not.toBeNull();
      }
    },
    180_000,
  );

  test('killing the server mid-run: the run ends within its timeouts, every request counted by kind, the verdict fails, reports written', async () => {
    const doomed = await startLlama(work);
    try {
      const dir = join(work, 'killed');
      const file = `${dir}.yaml`;
      await writeFile(
        file,
        scenario(doomed.url, 'openai', { stream: true, concurrency: 4, requests: 400 }).replace(
          'experiments: [{ name: e, strategy: { use: semaphore, options: { concurrency: 4 } } }]',
          'experiments:\n  - { name: before-the-kill, strategy: { use: semaphore, options: { concurrency: 4 } } }\n  - { name: after-the-kill, strategy: { use: semaphore, options: { concurrency: 4 } }, workload: { requests: 50 } }',
        ),
      );
      const cli = run(process.execPath, [bin, 'run', file, '--out', dir, '--threads', '1']);
      // Kill it once it has answered some requests (bounded: at most 30 s of polling).
      for (let i = 0; i < 300 && (await served(doomed)) < 60; i++) await new Promise((r) => setTimeout(r, 100));
      stop(doomed, 'SIGKILL');
      const out = await cli;
      expect(out.stderr).not.toMatch(/INTERNAL/);
      expect(out.code).toBe(3);
      expect(out.ms).toBeLessThan(60_000);
      const { json, md } = await results(dir);
      expect(json.status).toBe('failed');
      expect(json.error).toMatch(/no request succeeded in experiment after-the-kill/);
      const [first, second] = json.experiments;
      for (const e of [first!, second!]) {
        const s = e.summary;
        const failed = Object.values(s.failures).reduce((a, b) => a + b, 0);
        expect(s.successes + failed).toBe(s.requests);
      }
      expect(first!.summary.requests).toBe(400);
      expect(first!.summary.successes).toBeGreaterThanOrEqual(50);
      expect(first!.summary.failures.connection_error).toBeGreaterThan(0);
      expect(second!.summary.successes).toBe(0);
      expect(second!.summary.failures.connection_error).toBe(50);
      expect(md).toContain('> **Warning:** the run failed');
      expect(md).toMatch(/after-the-kill: only 0\.0% of 50 requests succeeded \(50 connection_error\)/);
      expect(out.stdout).toMatch(/WARNING: after-the-kill: only 0\.0% of 50 requests succeeded/);
    } finally {
      stop(doomed, 'SIGKILL');
    }
  }, 120_000);
});
