import { describe, expect, test } from 'vitest';
import { loadProject, projectIssues, workloadScenario, yaml } from '../__fixtures__/scenarios.js';

describe('records from JSONL and CSV feed a prompt template', () => {
  test('CSV records fill "{field}" and leave "{i}" for each request; quoted commas and line breaks survive', async () => {
    const loaded = await loadProject({
      'scenario.yaml': workloadScenario('{ records: { file: data.csv, template: "Summarise {title} ({lang}) #{i}" } }'),
      'data.csv': 'title,lang\nAlpha,en\n"Beta, the second",fr\n"Gamma\nline two",de\n',
    });
    expect(loaded.experiments[0]!.workload.prompts).toEqual([
      'Summarise Alpha (en) #{i}',
      'Summarise Beta, the second (fr) #{i}',
      'Summarise Gamma\nline two (de) #{i}',
    ]);
  });

  test('JSONL records fill the template; non-string fields are written as JSON', async () => {
    const loaded = await loadProject({
      'scenario.yaml': workloadScenario('{ records: { file: data.jsonl, template: "{q} {n}" } }'),
      'data.jsonl': '{"q": "how many?", "n": 3}\n\n{"q": "and now?", "n": [1, 2]}\n',
    });
    expect(loaded.experiments[0]!.workload.prompts).toEqual(['how many? 3', 'and now? [1,2]']);
  });

  test('a record without a field the template uses is reported at its line in the data file, every one of them', async () => {
    expect(
      await projectIssues({
        'scenario.yaml': workloadScenario('{ records: { file: data.csv, template: "{title} {body}" } }'),
        'data.csv': 'title,text\n"multi\nline",x\n\nB,y\n',
      }),
    ).toEqual([
      'data.csv:2 workload.records.file: record has no field "body" (the template uses it)',
      'data.csv:5 workload.records.file: record has no field "body" (the template uses it)',
    ]);
  });

  test('a JSONL line that is not JSON, and one that is not an object, are reported at their lines', async () => {
    expect(
      await projectIssues({
        'scenario.yaml': workloadScenario('{ records: { file: data.jsonl, template: "{q}" } }'),
        'data.jsonl': '{"q": "ok"}\n{"q": \n[1]\n',
      }),
    ).toEqual([
      expect.stringMatching(/^data\.jsonl:2 workload\.records\.file: not valid JSON/),
      'data.jsonl:3 workload.records.file: not a JSON object',
    ]);
  });

  test('a missing data file and two prompt sources are reported in the scenario', async () => {
    expect(
      await projectIssues({
        'scenario.yaml': yaml`
        backend: fake
        workload: { prompts: [x], records: { file: data.csv, template: "{a}" } }
        experiments:
          - { name: a, strategy: { use: fixed, options: { concurrency: 1 } } }
          - { name: b, strategy: { use: fixed, options: { concurrency: 1 } }, workload: { records: { file: none.csv, template: "{a}" } } }
        `,
      }),
    ).toEqual([
      'scenario.yaml:2 workload.records: both prompts and records are set',
      expect.stringMatching(/^scenario\.yaml:5 experiments\.1\.workload\.records\.file: .*none\.csv: no such file$/),
    ]);
  });
});

describe('ShareGPT chat datasets', () => {
  const conversations = [
    {
      conversations: [
        { from: 'human', value: 'first question' },
        { from: 'gpt', value: 'first answer here' },
      ],
    },
    { conversations: [{ from: 'gpt', value: 'no human turn: skipped' }] },
    {
      conversations: [
        { from: 'system', value: 's' },
        { from: 'human', value: 'second question' },
      ],
    },
  ];

  test('the first human turn of each conversation is the prompt; those without one are skipped', async () => {
    const loaded = await loadProject({
      'scenario.yaml': workloadScenario('{ sharegpt: { file: chats.json } }'),
      'chats.json': JSON.stringify(conversations, null, 2),
    });
    expect(loaded.experiments[0]!.workload.prompts).toEqual(['first question', 'second question']);
    expect(loaded.experiments[0]!.workload.pending).toBeUndefined();
  });

  test('output_length: recorded keeps answered conversations and their answers for counting', async () => {
    const loaded = await loadProject({
      'scenario.yaml': workloadScenario('{ sharegpt: { file: chats.jsonl, output_length: recorded } }'),
      'chats.jsonl': conversations.map((c) => JSON.stringify(c)).join('\n'),
    });
    expect(loaded.experiments[0]!.workload.prompts).toEqual(['first question']);
    expect(loaded.experiments[0]!.workload.pending?.answers).toEqual(['first answer here']);
  });

  test('an item not in the ShareGPT shape is reported at its line, in a JSON list and in JSONL', async () => {
    const bad = [conversations[0], { conversations: [{ from: 'human' }] }];
    expect(
      await projectIssues({
        'scenario.yaml': workloadScenario('{ sharegpt: { file: chats.json } }'),
        'chats.json': JSON.stringify(bad, null, 2),
      }),
    ).toEqual(['chats.json:14 workload.sharegpt.file: not a ShareGPT conversation']);
    expect(
      await projectIssues({
        'scenario.yaml': workloadScenario('{ sharegpt: { file: chats.jsonl } }'),
        'chats.jsonl': bad.map((c) => JSON.stringify(c)).join('\n'),
      }),
    ).toEqual(['chats.jsonl:2 workload.sharegpt.file: not a ShareGPT conversation']);
  });
});

describe('synthetic workloads and sampling in scenarios', () => {
  test("synthetic prompts are left pending with the seed; sampling gets a seed from the scenario's", async () => {
    const loaded = await loadProject({
      'scenario.yaml': yaml`
        backend: fake
        seed: 5
        workload: { sampling: shuffle, synthetic: { input_tokens: { uniform: { min: 10, max: 20 } }, output_tokens: 8, prefix_tokens: 4 } }
        experiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]
        `,
    });
    const w = loaded.experiments[0]!.workload;
    expect(w.pending).toEqual({
      synthetic: { input_tokens: { uniform: { min: 10, max: 20 } }, output_tokens: 8, prefix_tokens: 4 },
      seed: 5,
    });
    expect(w.order?.sampling).toBe('shuffle');
  });

  test('a bad distribution is reported at its field', async () => {
    expect(
      await projectIssues({
        'scenario.yaml': workloadScenario('{ synthetic: { input_tokens: { uniform: { min: 9, max: 3 } } } }'),
      }),
    ).toEqual(['scenario.yaml:2 workload.synthetic.input_tokens.uniform: min must be <= max']);
  });
});
