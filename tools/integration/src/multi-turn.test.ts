import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunResults } from '@llmbench/plugin-api';
import { bin, present, reportAbsent, run, startLlama, stop, type Server } from './llama.js';

/**
 * Multi-turn conversations against llama.cpp's own server: each turn's prompt, as the server counts
 * it (usage.prompt_tokens), holds the earlier turns and the answers the server generated, so turn 3
 * is at least turn 1 plus both answers; per-turn figures reach the results.
 */
reportAbsent('multi-turn integration tests');

interface RawLine {
  experiment: string;
  index: number;
  outcome: string;
  conversation: number;
  turn: number;
  prompt_hash: string;
  input_tokens?: number;
  output_tokens?: number;
}

const chats = [
  ['Name a colour.', 'Now a fruit of that colour.', 'And a country where it grows.'],
  ['Say hello.', 'Say it louder.', 'Now whisper it.'],
  ['Count to three.', 'Backwards.', 'In French.'],
  ['Pick a number.', 'Double it.', 'Halve it again.'],
].map((turns) =>
  JSON.stringify({
    conversations: turns.flatMap((t) => [
      { from: 'human', value: t },
      { from: 'gpt', value: 'recorded, never sent' },
    ]),
  }),
);

const scenario = (url: string): string => `servers:
  - { id: llama, url: "${url}", backend: { use: llamacpp, options: { ignore_eos: true } } }
  - { id: plain, url: "${url}", backend: { use: openai, options: { endpoint: completions, extra_body: { ignore_eos: true } } } }
seed: 5
workload:
  requests: 8
  max_tokens: 24
  timeout_ms: 30000
  system_prompt: "You are a benchmark."
  sharegpt: { file: chats.jsonl, multi_turn: true }
experiments:
  - name: chat
    strategy: { use: semaphore, options: { concurrency: 4 } }
    servers: [llama]
  - name: streamed
    strategy: { use: semaphore, options: { concurrency: 4 } }
    servers: [llama]
    workload: { stream: true }
  - name: completions
    strategy: { use: semaphore, options: { concurrency: 2 } }
    servers: [plain]
    workload: { requests: 4 }
`;

describe.skipIf(!present)("multi-turn conversations against llama.cpp's own server", () => {
  let work: string;
  let server: Server;
  let raw: RawLine[];
  let results: RunResults;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'llmbench-multi-turn-'));
    server = await startLlama(work);
    await writeFile(join(work, 'chats.jsonl'), `${chats.join('\n')}\n`);
    const file = join(work, 'multi-turn.yaml');
    await writeFile(file, scenario(server.url));
    const out = join(work, 'out');
    const rawPath = join(work, 'raw.jsonl');
    const cli = await run(process.execPath, [bin, 'run', file, '--out', out, '--threads', '2', '--raw', rawPath]);
    expect(cli.code, cli.stderr).toBe(0);
    raw = (await readFile(rawPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RawLine);
    const json = (await readdir(out)).find((f) => f.endsWith('.json'))!;
    results = JSON.parse(await readFile(join(out, json), 'utf8')) as RunResults;
  }, 240_000);

  afterAll(() => stop(server));

  const byConversation = (experiment: string): Map<number, RawLine[]> => {
    const out = new Map<number, RawLine[]>();
    for (const r of raw.filter((l) => l.experiment === experiment))
      out.set(r.conversation, [...(out.get(r.conversation) ?? []), r]);
    for (const turns of out.values()) turns.sort((a, b) => a.turn - b.turn);
    return out;
  };

  test.each(['chat', 'streamed', 'completions'])('%s: turn 3 carries turn 1 and both answers the server gave', (experiment) => {
    const conversations = byConversation(experiment);
    expect(conversations.size).toBe(experiment === 'completions' ? 4 : 8);
    for (const [id, turns] of conversations) {
      expect(
        turns.map((t) => [t.turn, t.outcome]),
        `conversation ${id}`,
      ).toEqual([
        [1, 'ok'],
        [2, 'ok'],
        [3, 'ok'],
      ]);
      const [t1, t2, t3] = turns as [RawLine, RawLine, RawLine];
      expect(t1.output_tokens).toBe(24);
      expect(t2.output_tokens).toBe(24);
      expect(t3.input_tokens!, `conversation ${id}`).toBeGreaterThanOrEqual(
        t1.input_tokens! + t1.output_tokens! + t2.output_tokens!,
      );
      expect(t2.input_tokens!).toBeGreaterThanOrEqual(t1.input_tokens! + t1.output_tokens!);
    }
  });

  test('request indices are unique and dense, conversation by conversation', () => {
    const chat = raw.filter((l) => l.experiment === 'chat');
    expect(chat.map((l) => l.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  test('results carry per-turn figures: requests, latency, TTFT when streamed, growing input tokens', () => {
    const chat = results.experiments.find((e) => e.name === 'chat')!.summary;
    expect(chat.requests).toBe(24);
    expect(results.experiments.find((e) => e.name === 'chat')!.point.requests).toBe(8);
    const turns = chat.turns!;
    expect(turns.map((t) => [t.turn, t.requests, t.successes])).toEqual([
      [1, 8, 8],
      [2, 8, 8],
      [3, 8, 8],
    ]);
    expect(turns.every((t) => t.latency_ms !== null && t.ttft_ms === null)).toBe(true);
    expect(turns[1]!.input_tokens!.avg).toBeGreaterThan(turns[0]!.input_tokens!.avg + 24);
    expect(turns[2]!.input_tokens!.avg).toBeGreaterThan(turns[1]!.input_tokens!.avg + 24);
    const streamed = results.experiments.find((e) => e.name === 'streamed')!.summary.turns!;
    expect(streamed.every((t) => t.ttft_ms !== null && t.ttft_ms.p50 > 0)).toBe(true);
  });
});

/**
 * The same through the CLI, worker threads and backend-openai against a loopback server of this
 * test that records every body and answers with a text naming the question: each turn's body holds
 * the answers given before, verbatim, and one seed sends the same bodies run after run.
 */
describe('multi-turn bodies through the CLI and backend-openai', () => {
  let http: HttpServer;
  let url: string;
  const bodies: { messages: { role: string; content: string }[] }[] = [];
  const answer = (messages: { content: string }[]) =>
    `echo of "${messages[messages.length - 1]!.content}" (${messages.length} messages)`;

  beforeAll(async () => {
    http = createServer((req, res) => {
      let data = '';
      req.on('data', (d: Buffer) => (data += d.toString()));
      req.on('end', () => {
        const body = JSON.parse(data) as { messages: { role: string; content: string }[] };
        bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            choices: [{ index: 0, message: { role: 'assistant', content: answer(body.messages) }, finish_reason: 'stop' }],
            usage: {
              prompt_tokens: body.messages.length * 10,
              completion_tokens: 5,
              total_tokens: body.messages.length * 10 + 5,
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

  const runOnce = async (threads: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-multi-turn-cli-'));
    await writeFile(join(dir, 'chats.jsonl'), `${chats.join('\n')}\n`);
    await writeFile(
      join(dir, 's.yaml'),
      `servers: [{ id: m, url: "${url}", backend: openai }]
seed: 9
workload: { requests: 10, warmup: 0, system_prompt: "sys", sampling: with_replacement, sharegpt: { file: chats.jsonl, multi_turn: true, max_turns: 3 } }
experiments: [{ name: chat, strategy: { use: semaphore, options: { concurrency: 3 } } }]
reporters: [json]
`,
    );
    const from = bodies.length;
    const cli = await run(process.execPath, [bin, 'run', join(dir, 's.yaml'), '--out', join(dir, 'out'), '--threads', threads]);
    expect(cli.code, cli.stderr).toBe(0);
    const json = (await readdir(join(dir, 'out'))).find((f) => f.endsWith('.json'))!;
    return { sent: bodies.slice(from), results: JSON.parse(await readFile(join(dir, 'out', json), 'utf8')) as RunResults };
  };

  test('each turn sends the system prompt, the earlier turns and the answers given, verbatim', async () => {
    const { sent, results } = await runOnce('2');
    expect(sent).toHaveLength(30);
    for (const body of sent) {
      const m = body.messages;
      expect(m[0]).toEqual({ role: 'system', content: 'sys' });
      expect(m.map((x) => x.role)).toEqual([
        'system',
        ...Array.from({ length: m.length - 1 }, (_, i) => (i % 2 === 0 ? 'user' : 'assistant')),
      ]);
      for (let i = 2; i < m.length; i += 2) expect(m[i]!.content).toBe(answer(m.slice(0, i)));
    }
    expect(results.experiments[0]!.summary.turns!.map((t) => [t.turn, t.requests, t.input_tokens!.avg])).toEqual([
      [1, 10, 20],
      [2, 10, 40],
      [3, 10, 60],
    ]);
  });

  test('a batch (barrier) strategy is refused before any request, saying what to use', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-multi-turn-cli-'));
    await writeFile(join(dir, 'chats.jsonl'), `${chats.join('\n')}\n`);
    await writeFile(
      join(dir, 's.yaml'),
      `servers: [{ id: m, url: "${url}", backend: openai }]
workload: { requests: 4, sharegpt: { file: chats.jsonl, multi_turn: true } }
experiments: [{ name: batched, strategy: { use: batch, options: { size: 2 } } }]
reporters: [json]
`,
    );
    const from = bodies.length;
    const cli = await run(process.execPath, [bin, 'run', join(dir, 's.yaml'), '--out', join(dir, 'out')]);
    expect(cli.code).toBe(3);
    expect(cli.stderr).toContain('multi-turn conversations cannot run in barrier batches (strategy batch)');
    expect(cli.stderr).toContain('use a semaphore or rate strategy');
    expect(bodies.length).toBe(from);
  });

  test('one seed sends the same bodies whatever the thread count', async () => {
    const a = (await runOnce('1')).sent.map((b) => JSON.stringify(b)).sort();
    const b = (await runOnce('2')).sent.map((b) => JSON.stringify(b)).sort();
    expect(a).toHaveLength(30);
    expect(b).toEqual(a);
  });
});
