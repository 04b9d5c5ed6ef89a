import { describe, expect, test } from 'vitest';
import type { Backend, BenchRequest, ChatMessage, Outcome } from '@llmbench/plugin-api';
import type { ResolvedWorkload } from '../scenario/load.js';
import { loadProject, projectIssues, workloadScenario } from '../__fixtures__/scenarios.js';
import { runOnVirtualTime } from '../__fixtures__/partition.js';
import { VirtualTime } from '../__fixtures__/virtual-time.js';
import { Tally } from '../metrics/tally.js';
import { conversationPlan, requestsOf } from './conversations.js';

const chats = [
  {
    conversations: [
      { from: 'human', value: 'q1' },
      { from: 'gpt', value: 'recorded a1' },
      { from: 'human', value: 'q2' },
      { from: 'gpt', value: 'recorded a2' },
      { from: 'human', value: 'q3' },
    ],
  },
  { conversations: [{ from: 'gpt', value: 'no human turn: skipped' }] },
  {
    conversations: [
      { from: 'system', value: 's' },
      { from: 'human', value: 'only' },
    ],
  },
];

describe('sharegpt multi_turn reads every human turn', () => {
  test('human turns in order, recorded gpt turns left out, conversations without one skipped', async () => {
    const loaded = await loadProject({
      'scenario.yaml': workloadScenario('{ sharegpt: { file: chats.jsonl, multi_turn: true, think_time_ms: 5 } }'),
      'chats.jsonl': chats.map((c) => JSON.stringify(c)).join('\n'),
    });
    const w = loaded.experiments[0]!.workload;
    expect(w.prompts).toEqual(['q1', 'only']);
    expect(w.conversations).toEqual({ turns: [['q1', 'q2', 'q3'], ['only']], thinkTimeMs: 5 });
  });

  test('max_turns keeps the first N human turns', async () => {
    const loaded = await loadProject({
      'scenario.yaml': workloadScenario('{ sharegpt: { file: chats.json, multi_turn: true, max_turns: 2 } }'),
      'chats.json': JSON.stringify(chats),
    });
    expect(loaded.experiments[0]!.workload.conversations?.turns).toEqual([['q1', 'q2'], ['only']]);
  });

  test('output_length with multi_turn, and max_turns without it, are issues at their fields', async () => {
    expect(
      await projectIssues({
        'scenario.yaml': workloadScenario('{ sharegpt: { file: chats.json, multi_turn: true, output_length: recorded } }'),
        'chats.json': JSON.stringify(chats),
      }),
    ).toEqual([
      "scenario.yaml:2 workload.sharegpt.output_length: output_length: recorded applies to first-turn prompts; with multi_turn every turn is capped by the workload's max_tokens",
    ]);
    expect(
      await projectIssues({
        'scenario.yaml': workloadScenario('{ sharegpt: { file: chats.json, max_turns: 2 } }'),
        'chats.json': JSON.stringify(chats),
      }),
    ).toEqual(['scenario.yaml:2 workload.sharegpt.max_turns: max_turns needs multi_turn: true']);
  });
});

function workload(turns: string[][], extra: Partial<ResolvedWorkload> = {}): ResolvedWorkload {
  return {
    requests: turns.length,
    warmup: 0,
    prompts: turns.map((t) => t[0]!),
    stream: false,
    timeoutMs: 60_000,
    conversations: { turns, thinkTimeMs: 0 },
    ...extra,
  };
}

/**
 * A server that answers each request with a text naming the request's last message and how many
 * messages it got; it records what it received and its own requests in flight.
 */
function server(time: VirtualTime, fail?: (req: BenchRequest) => boolean) {
  const received: { index: number; messages: readonly ChatMessage[]; at: number; end: number }[] = [];
  const stats = { inFlight: 0, maxInFlight: 0 };
  const backend: Backend = {
    async send(req): Promise<Outcome> {
      stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
      const at = time.now();
      const last = req.messages[req.messages.length - 1]!.content;
      await time.sleep(3 + last.length);
      stats.inFlight--;
      received.push({ index: req.index, messages: req.messages, at, end: time.now() });
      if (fail?.(req)) return { kind: 'http_error', status: 500 };
      const n = req.messages.length;
      return {
        kind: 'ok',
        usage: { inputTokens: n * 10, outputTokens: 2, source: 'server' },
        ...(req.keepText ? { text: `answer to "${last}" after ${n} messages` } : {}),
      };
    },
  };
  return { backend, received, stats };
}

const run = (
  time: VirtualTime,
  w: ResolvedWorkload,
  backend: Backend,
  point: { concurrency: number; requests: number; barrier?: boolean; rate?: number },
) =>
  runOnVirtualTime(time, {
    servers: [{ backend }],
    point,
    request: () => {
      throw new Error('a conversation builds its own requests');
    },
    tally: new Tally(1),
    conversations: conversationPlan(w, { warmup: false })!,
  });

describe("conversations are sent turn by turn with the server's answers", () => {
  const turns = [
    ['q1', 'q2', 'q3'],
    ['r1', 'r2'],
    ['s1', 's2', 's3', 's4'],
  ];

  test('turn k+1 carries the system prompt, earlier turns and the answers the server gave, verbatim', async () => {
    const time = new VirtualTime();
    const { backend, received } = server(time);
    await run(time, workload(turns, { systemPrompt: 'be brief' }), backend, { concurrency: 1, requests: 1 });
    expect(received.map((r) => r.messages)).toEqual([
      [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'q1' },
      ],
      [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'answer to "q1" after 2 messages' },
        { role: 'user', content: 'q2' },
      ],
      [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'answer to "q1" after 2 messages' },
        { role: 'user', content: 'q2' },
        { role: 'assistant', content: 'answer to "q2" after 4 messages' },
        { role: 'user', content: 'q3' },
      ],
    ]);
  });

  test('each turn starts after the previous answer ended; C conversations keep at most C requests in flight', async () => {
    const time = new VirtualTime();
    const { backend, received, stats } = server(time);
    const w = workload(turns);
    const result = await run(time, w, backend, { concurrency: 2, requests: 6 });
    // 6 conversations over 3 dataset entries: 3 + 2 + 4 turns, twice.
    expect(received).toHaveLength(18);
    expect(requestsOf(w, 6)).toBe(18);
    expect(stats.maxInFlight).toBe(2);
    expect(result.control.maxInFlight).toBe(2);
    expect(received.map((r) => r.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 18 }, (_, i) => i));
    const byIndex = new Map(received.map((r) => [r.index, r]));
    for (const [i, r] of byIndex) {
      const previous = r.messages.length > 1 ? byIndex.get(i - 1)! : undefined;
      if (previous) expect(r.at).toBeGreaterThanOrEqual(previous.end);
    }
  });

  test('the same workload gives the same bodies per request index whatever the concurrency', async () => {
    const bodies = async (concurrency: number) => {
      const time = new VirtualTime();
      const { backend, received } = server(time);
      await run(time, workload(turns, { order: { sampling: 'shuffle', seed: 7 } }), backend, { concurrency, requests: 7 });
      return received.sort((a, b) => a.index - b.index).map((r) => JSON.stringify(r.messages));
    };
    const one = await bodies(1);
    expect(one.length).toBeGreaterThan(7);
    expect(await bodies(3)).toEqual(one);
  });

  test('a failed turn ends its conversation; per-turn figures count what was sent', async () => {
    const time = new VirtualTime();
    const { backend, received } = server(time, (req) => req.messages[req.messages.length - 1]!.content === 'q2');
    const result = await run(time, workload(turns), backend, { concurrency: 1, requests: 3 });
    expect(received.map((r) => r.messages[r.messages.length - 1]!.content)).toEqual([
      'q1',
      'q2',
      'r1',
      'r2',
      's1',
      's2',
      's3',
      's4',
    ]);
    const stats = result.tally.turns.stats()!;
    expect(stats.map((t) => [t.turn, t.requests, t.successes])).toEqual([
      [1, 3, 3],
      [2, 3, 2],
      [3, 1, 1],
      [4, 1, 1],
    ]);
    // Turn k sends 2k - 1 messages, 10 tokens each by this server's count.
    expect(stats[1]!.input_tokens).toEqual({ avg: 30, p50: 30, p95: 30 });
    expect(stats[3]!.input_tokens).toEqual({ avg: 70, p50: 70, p95: 70 });
  });

  test('paced conversations: concurrency bounds requests in flight, every turn is sent', async () => {
    const time = new VirtualTime();
    const { backend, received, stats } = server(time);
    const result = await run(time, workload(turns), backend, { concurrency: 2, requests: 6, rate: 1000 });
    expect(received).toHaveLength(18);
    expect(stats.maxInFlight).toBeLessThanOrEqual(2);
    expect(result.control.inFlight).toBe(0);
  });
});
