import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isLlmbenchError } from '@llmbench/plugin-api';
import { loadScenario } from './load.js';
import { FIXTURE_BUILTINS, project, yaml } from '../__fixtures__/scenarios.js';

const experiments = 'experiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]\n';

async function load(files: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  const dir = await project(files);
  return loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env });
}

async function issues(files: Record<string, string>) {
  const dir = await project(files);
  try {
    await loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env: {} });
  } catch (error) {
    if (!isLlmbenchError(error)) throw error;
    return error.issues.map((i) => ({
      at: `${basename(i.file)}:${i.line}`,
      path: i.path,
      message: i.message,
      expected: i.expected,
      hint: i.hint,
    }));
  }
  throw new Error('expected the scenario to be rejected');
}

describe('labels', () => {
  test("a scenario's labels are kept as written, and so stored in its definition", async () => {
    const s = await load({
      'scenario.yaml': `backend: fake\nlabels: { gpu: A100, commit: "abc123", team/owner: perf }\n${experiments}`,
    });
    expect(s.labels).toEqual({ gpu: 'A100', commit: 'abc123', 'team/owner': 'perf' });
    expect(s.definition.labels).toEqual(s.labels);
  });

  test('no labels: an empty map', async () => {
    expect((await load({ 'scenario.yaml': `backend: fake\n${experiments}` })).labels).toEqual({});
  });

  test("the project config's defaults.labels are merged in, key by key, the scenario's own values winning", async () => {
    const s = await load({
      'scenario.yaml': `backend: fake\nlabels: { gpu: H100, run: nightly }\n${experiments}`,
      'llmbench.config.yaml': yaml`
        defaults:
          labels: { gpu: A100, lab: berlin }
        `,
    });
    expect(s.labels).toEqual({ gpu: 'H100', lab: 'berlin', run: 'nightly' });
  });

  test('a label from ${env:...} is expanded, and redacted from what is stored like every value from the environment', async () => {
    const s = await load(
      { 'scenario.yaml': `backend: fake\nlabels: { commit: "\${env:GIT_SHA}" }\n${experiments}` },
      { GIT_SHA: 'deadbeef' },
    );
    expect(s.labels).toEqual({ commit: 'deadbeef' });
    expect(s.definition.labels).toEqual({ commit: '[redacted]' });
  });

  test('a number, a list, and a bad key are each reported where they are', async () => {
    expect(
      await issues({
        'scenario.yaml': yaml`
          backend: fake
          labels:
            gpus: 8
            tags: [a, b]
            " spaced": x
          ${experiments}`,
      }),
    ).toEqual([
      {
        at: 'scenario.yaml:3',
        path: 'labels.gpus',
        message: '8 is a number',
        expected: 'string',
        hint: 'set "gpus" to a string',
      },
      {
        at: 'scenario.yaml:4',
        path: 'labels.tags',
        message: '["a","b"] is a list',
        expected: 'string',
        hint: 'set "tags" to a string',
      },
      {
        at: 'scenario.yaml:5',
        path: 'labels. spaced',
        message: 'key " spaced" is not allowed: use letters, digits, "_", ".", "/" and "-", starting with a letter or digit',
        expected: undefined,
        hint: 'use letters, digits, "_", ".", "/" and "-", starting with a letter or digit',
      },
    ]);
  });

  test('labels that are not a map are reported, also with project-config defaults to merge', async () => {
    const found = await issues({
      'scenario.yaml': `backend: fake\nlabels: nightly\n${experiments}`,
      'llmbench.config.yaml': 'defaults: { labels: { lab: berlin } }\n',
    });
    expect(found.map((i) => [i.at, i.path])).toEqual([['scenario.yaml:2', 'labels']]);
  });
});
