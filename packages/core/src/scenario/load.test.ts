// Over 400 lines on purpose: the loader's exact issue lists, one inline scenario per behaviour.
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isLlmbenchError, type LlmbenchError } from '@llmbench/plugin-api';
import { loadScenario } from './load.js';
import { FIXTURE_BUILTINS, project, yaml } from '../__fixtures__/scenarios.js';

interface Shown {
  at: string;
  path: string;
  message: string;
  expected?: string;
  hint?: string;
}

async function failure(
  files: Record<string, string>,
  env: NodeJS.ProcessEnv = {},
): Promise<{ error: LlmbenchError; issues: Shown[] }> {
  const dir = await project(files);
  const entry = Object.keys(files).find((f) => f.startsWith('scenario'))!;
  try {
    await loadScenario(join(dir, entry), { builtins: FIXTURE_BUILTINS, env });
  } catch (error) {
    if (!isLlmbenchError(error)) throw error;
    const issues = error.issues.map((i) => ({
      at: `${basename(i.file)}:${i.line}:${i.column}`,
      path: i.path,
      message: i.message.replaceAll(dir, '<dir>'),
      ...(i.expected === undefined ? {} : { expected: i.expected }),
      ...(i.hint === undefined ? {} : { hint: i.hint }),
    }));
    return { error, issues };
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario validation reports every issue with file:line:column, path, expectation and fix', () => {
  test('an unknown field gets a did-you-mean, and the missing required field is reported too', async () => {
    const { error, issues } = await failure({
      'scenario.yaml': yaml`
        backend: fake
        experimnts:
          - name: a
            strategy: { use: fixed, options: { concurrency: 2 } }
        `,
    });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(issues).toEqual([
      {
        at: 'scenario.yaml:1:1',
        path: 'experiments',
        message: 'missing required field "experiments"',
        expected: 'list',
        hint: 'add "experiments:" with a list',
      },
      {
        at: 'scenario.yaml:2:1',
        path: 'experimnts',
        message: 'unknown field "experimnts"',
        expected:
          'one of $schema, name, description, labels, backend, servers, workers_file, balancer, workload, experiments, runs, seed, reporters, collectors, thresholds, slo, percentiles',
        hint: 'did you mean "experiments"?',
      },
    ]);
  });

  test('wrong types in the scenario and out-of-range plugin options are reported together', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        backend: fake
        workload:
          requests: "10"
          stream: yes
          prompts: hello
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 0 } }
        `,
    });
    expect(issues).toEqual([
      {
        at: 'scenario.yaml:3:13',
        path: 'workload.requests',
        message: '"10" is a string',
        expected: 'number',
        hint: 'remove the quotes: requests: 10',
      },
      {
        at: 'scenario.yaml:4:11',
        path: 'workload.stream',
        message: '"yes" is a string',
        expected: 'boolean',
        hint: 'write true or false (YAML 1.2 reads "yes" as text)',
      },
      {
        at: 'scenario.yaml:5:12',
        path: 'workload.prompts',
        message: '"hello" is a string',
        expected: 'list',
        hint: 'write a list, e.g. "prompts: ["hello"]"',
      },
      {
        at: 'scenario.yaml:8:53',
        path: 'experiments.0.strategy.options.concurrency',
        message: '0 is out of range',
        expected: 'a number > 0',
        hint: 'change "concurrency" to a number > 0',
      },
    ]);
  });

  test('options given to a plugin that takes none are an error, not silently dropped', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        backend: fake
        workload: { requests: 10 }
        experiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]
        reporters: [{ use: memory, options: { output: out.txt } }]
        `,
    });
    expect(issues).toEqual([
      expect.objectContaining({
        at: 'scenario.yaml:4:39',
        path: 'reporters.0.options.output',
        message: 'unknown field "output"',
        hint: 'remove "output"',
      }),
    ]);
  });

  test('enum values get the closest allowed value; refinements give their own hint', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        backend: fake
        experiments:
          - name: a
            strategy: fixed
        thresholds:
          - metric: latency_ms.p9o
            max: 10
          - metric: success_rate
        `,
    });
    expect(issues).toEqual([
      {
        at: 'scenario.yaml:4:15',
        path: 'experiments.0.strategy.options.concurrency',
        message: 'missing required field "concurrency"',
        expected: 'number',
        hint: 'add "concurrency:" with a number',
      },
      {
        at: 'scenario.yaml:6:13',
        path: 'thresholds.0.metric',
        message: 'unknown threshold metric "latency_ms.p9o"',
        hint: expect.stringMatching(
          /^did you mean "latency_ms\.p90"\? valid metrics: success_rate, requests_per_second, .* or any percentile p<N> \(e\.g\. p99\.9\)/,
        ),
      },
      {
        at: 'scenario.yaml:8:5',
        path: 'thresholds.1',
        message: 'a threshold needs min, max or both',
        hint: 'add "min: <number>" and/or "max: <number>"',
      },
    ]);
  });

  test('unknown plugins list every specifier tried', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        backend: nosuch
        experiments:
          - name: a
            strategy: { use: fixd }
        `,
    });
    expect(issues).toEqual([
      {
        at: 'scenario.yaml:1:10',
        path: 'backend',
        message: 'no backend plugin "nosuch"; tried:\n  - @llmbench/backend-nosuch (not installed)\n  - nosuch (not installed)',
        hint: 'use one of the known backends (fake), install @llmbench/backend-nosuch, or give a path to a module',
      },
      {
        at: 'scenario.yaml:4:22',
        path: 'experiments.0.strategy.use',
        message: 'no strategy plugin "fixd"; tried:\n  - @llmbench/strategy-fixd (not installed)\n  - fixd (not installed)',
        hint: 'use one of the known strategies (fixed), install @llmbench/strategy-fixd, or give a path to a module',
      },
    ]);
  });

  test('references, duplicates and server addresses are checked even when other fields are invalid', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        servers:
          - id: s1
            url: not-a-url
            backend: fake
          - id: s1
            host: 127.0.0.1
            backend: fake
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 1 } }
            servers: [s2]
          - name: a
            strategy: { use: fixed, options: { concurrency: 1 } }
        thresholds:
          - metric: success_rate
            min: 1
            experiment: b
        `,
    });
    expect(issues).toEqual([
      {
        at: 'scenario.yaml:3:10',
        path: 'servers.0.url',
        message: '"not-a-url" is not a valid url',
        expected: 'a url',
        hint: 'write a url such as http://127.0.0.1:8000',
      },
      { at: 'scenario.yaml:6:11', path: 'servers.1.host', message: 'host without port', hint: 'add "port: <number>" or use url' },
      {
        at: 'scenario.yaml:11:15',
        path: 'experiments.0.servers.0',
        message: 'no server with id "s2"',
        hint: 'did you mean "s1"?',
      },
      {
        at: 'scenario.yaml:12:11',
        path: 'experiments.1.name',
        message: 'experiment name "a" is used twice',
        hint: 'give each experiment a unique name',
      },
      {
        at: 'scenario.yaml:17:17',
        path: 'thresholds.0.experiment',
        message: 'no experiment named "b"',
        hint: 'did you mean "a"?',
      },
    ]);
  });

  test('an unset ${env:...} variable is located at the value that references it', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        backend:
          use: fake
          options: { api_key: "\${env:LLMBENCH_TEST_UNSET_KEY}" }
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 1 } }
        `,
    });
    expect(issues).toEqual([
      {
        at: 'scenario.yaml:3:23',
        path: 'backend.options.api_key',
        message: 'environment variable LLMBENCH_TEST_UNSET_KEY is not set',
        hint: 'export LLMBENCH_TEST_UNSET_KEY=... before running, or give a default: ${env:LLMBENCH_TEST_UNSET_KEY:-value}',
      },
    ]);
  });

  test('an unset variable is reported once, without the errors its empty value causes', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        servers:
          - { id: s, url: "\${env:LLMBENCH_TEST_UNSET_URL}", backend: fake }
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 1 } }
        `,
    });
    expect(issues.map((i) => `${i.at} ${i.path}: ${i.message}`)).toEqual([
      'scenario.yaml:2:19 servers.0.url: environment variable LLMBENCH_TEST_UNSET_URL is not set',
    ]);
  });

  test('an unknown variant of a plugin option lists the known ones', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        backend: fake
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 1, pacing: { kind: poison } } }
        `,
    });
    expect(issues).toEqual([
      {
        at: 'scenario.yaml:4:72',
        path: 'experiments.0.strategy.options.pacing.kind',
        message: '"poison" is not a known kind',
        expected: 'one of none, poisson',
        hint: 'did you mean "poisson"?',
      },
    ]);
  });

  test('a YAML syntax error is located, not thrown as a parser stack', async () => {
    const { error, issues } = await failure({
      'scenario.yaml': yaml`
        backend: fake
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 1 }
        `,
    });
    expect(error.message).toMatch(/scenario\.yaml is not valid YAML\/JSON$/);
    expect(issues).toEqual([
      {
        at: 'scenario.yaml:5:1',
        path: '',
        message: 'syntax error: Flow map in block collection must be sufficiently indented and end with a }',
        hint: 'fix the YAML/JSON syntax at this position',
      },
    ]);
  });

  test('JSON scenarios get line numbers too', async () => {
    const { issues } = await failure({
      'scenario.json':
        '{\n  "backend": "fake",\n  "experiments": [\n    { "name": "a", "strategy": "fixed", "runs": -1 }\n  ]\n}\n',
    });
    expect(issues.map((i) => `${i.at} ${i.path}: ${i.message}`)).toEqual([
      'scenario.json:4:32 experiments.0.strategy.options.concurrency: missing required field "concurrency"',
      'scenario.json:4:49 experiments.0.runs: -1 is out of range',
    ]);
  });

  test('a scenario with neither backend nor servers says what to add', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 1 } }
        `,
    });
    expect(issues).toEqual([
      {
        at: 'scenario.yaml:1:1',
        path: '',
        message: 'no backend: nothing says which server to drive',
        expected: 'a backend or servers',
        hint: 'add "backend: <name>" (one of: fake) or a "servers" list',
      },
    ]);
  });

  test('project-config issues point into the config file; unknown named servers into the scenario', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        servers: [gpu1, gpu3]
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 1 } }
        `,
      'llmbench.config.yaml': yaml`
        defaults:
          backend: fake
          workload: { requests: -5 }
        servers:
          gpu1: { url: "http://127.0.0.1:9", max_concurrent_requests: 4 }
          gpu2: { url: "http://127.0.0.1:9" }
        `,
    });
    expect(issues).toEqual([
      {
        at: 'llmbench.config.yaml:3:25',
        path: 'defaults.workload.requests',
        message: '-5 is out of range',
        expected: 'a number > 0',
        hint: 'change "requests" to a number > 0',
      },
      {
        at: 'scenario.yaml:1:17',
        path: 'servers.1',
        message: 'no server named "gpu3" in the project config (<dir>/llmbench.config.yaml)',
        hint: 'did you mean "gpu1"?',
      },
    ]);
  });

  test('prompts and prompts_file together, and an unreadable prompts file, are reported', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        backend: fake
        workload: { prompts: [a], prompts_file: p.txt }
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 1 } }
          - name: b
            strategy: { use: fixed, options: { concurrency: 1 } }
            workload: { prompts_file: missing.jsonl }
          - name: c
            strategy: { use: fixed, options: { concurrency: 1 } }
            workload: { prompts: null }
        `,
    });
    expect(issues.map((i) => `${i.at} ${i.path}: ${i.message.replace(/\/.*\//, '<dir>/')}`)).toEqual([
      'scenario.yaml:2:41 workload.prompts_file: both prompts and prompts_file are set',
      'scenario.yaml:8:31 experiments.1.workload.prompts_file: cannot read prompts file <dir>/missing.jsonl',
      'scenario.yaml:11:26 experiments.2.workload.prompts: "prompts" is empty',
    ]);
  });
});

describe('a valid scenario loads with defaults, project config and environment', () => {
  test('project-config defaults and named servers fill in what the scenario leaves out', async () => {
    const dir = await project({
      'scenarios/s.yaml': yaml`
        servers: [gpu1, { id: local, url: "http://127.0.0.1:8001", backend: fake, max_concurrent_requests: 2 }]
        workload: { warmup: 3 }
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 4 } }
            workload: { requests: 7 }
            runs: 2
        `,
      'llmbench.config.yaml': yaml`
        defaults:
          backend: fake
          workload: { requests: 50, max_tokens: 32 }
          reporters: [memory]
        servers:
          gpu1: { host: 127.0.0.1, port: 8000, max_concurrent_requests: 5, model: m1 }
        `,
    });
    const s = await loadScenario(join(dir, 'scenarios/s.yaml'), { builtins: FIXTURE_BUILTINS, env: {} });
    expect(s.name).toBe('s');
    expect(s.configFile).toBe(join(dir, 'llmbench.config.yaml'));
    expect(s.servers.map((v) => [v.id, v.url, v.maxConcurrentRequests, v.model, v.backend.resolved.ref])).toEqual([
      ['gpu1', 'http://127.0.0.1:8000', 5, 'm1', 'fake'],
      ['local', 'http://127.0.0.1:8001', 2, undefined, 'fake'],
    ]);
    const [exp] = s.experiments;
    expect(exp!.workload).toMatchObject({ requests: 7, warmup: 3, maxTokens: 32, stream: false, timeoutMs: 60000 });
    expect(exp!.runs).toBe(2);
    expect(exp!.strategy.options).toEqual({ concurrency: 4, barrier: false });
    expect(s.reporters.map((r) => r.resolved.ref)).toEqual(['memory']);
  });

  test('values from ${env:...} are used, and redacted from the stored definition', async () => {
    const dir = await project({
      'scenario.yaml': yaml`
        backend: { use: fake, options: { api_key: "\${env:TEST_KEY}" } }
        servers:
          - id: s
            url: "http://\${env:TEST_HOST}:8000"
        experiments:
          - name: a
            strategy: { use: fixed, options: { concurrency: 1 } }
        `,
    });
    const s = await loadScenario(join(dir, 'scenario.yaml'), {
      builtins: FIXTURE_BUILTINS,
      env: { TEST_KEY: 'sk-secret-123', TEST_HOST: '127.0.0.1' },
    });
    expect(s.servers[0]!.backend.options).toMatchObject({ api_key: 'sk-secret-123' });
    expect(s.servers[0]!.url).toBe('http://127.0.0.1:8000');
    const stored = JSON.stringify(s.definition);
    expect(stored).not.toContain('sk-secret-123');
    expect(stored).not.toContain('127.0.0.1');
    expect(stored).toContain('[redacted]');
  });

  test('a whole-value ${env:...} becomes a number only where the schema wants a number', async () => {
    const dir = await project({
      'scenario.yaml': yaml`
        servers: [{ id: s, host: 127.0.0.1, port: "\${env:TEST_PORT}", model: "\${env:TEST_MODEL}", backend: { use: fake, options: { api_key: "\${env:TEST_KEY}", latency_ms: "\${env:TEST_PORT}" } } }]
        experiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]
        `,
    });
    const s = await loadScenario(join(dir, 'scenario.yaml'), {
      builtins: FIXTURE_BUILTINS,
      env: { TEST_PORT: '8123', TEST_MODEL: '7', TEST_KEY: '12345678' },
    });
    expect(s.servers[0]!.url).toBe('http://127.0.0.1:8123');
    expect(s.servers[0]!.model).toBe('7');
    expect(s.servers[0]!.backend.options).toMatchObject({ api_key: '12345678', latency_ms: 8123 });
  });

  test('a project-config plugin alias replaces a built-in of the same name', async () => {
    const dir = await project({
      'scenario.yaml': 'backend: fake\nexperiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]\n',
      'llmbench.config.yaml': 'plugins: { "strategy:fixed": ./my-fixed.mjs }\n',
      'my-fixed.mjs':
        "export default { kind: 'strategy', name: 'mine', options: { safeParse: (v) => ({ success: true, data: v }) }, create: () => ({ points: () => [{ concurrency: 1 }] }) };\n",
    });
    const s = await loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env: {} });
    expect(s.experiments[0]!.strategy.resolved.plugin.name).toBe('mine');
  });

  test("the seed's workers file is read as-is and becomes servers", async () => {
    const dir = await project({
      'scenario.yaml':
        'workers_file: config/my_workers.json\nexperiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]\n',
      'config/my_workers.json': JSON.stringify(
        {
          workers: [
            {
              id: 'mac-studio-1',
              host: '192.168.1.105',
              port: 1234,
              type: 'fake',
              model: 'mistral-7b-instruct-v0.2',
              max_concurrent_requests: 5,
            },
            {
              id: 'mac-studio-2',
              host: '192.168.1.106',
              port: 1234,
              type: 'fake',
              model: 'mistral-7b-instruct-v0.2',
              max_concurrent_requests: 5,
            },
          ],
        },
        null,
        2,
      ),
    });
    const s = await loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env: {} });
    expect(s.servers.map((v) => [v.id, v.url, v.model, v.maxConcurrentRequests, v.backend.resolved.ref])).toEqual([
      ['mac-studio-1', 'http://192.168.1.105:1234', 'mistral-7b-instruct-v0.2', 5, 'fake'],
      ['mac-studio-2', 'http://192.168.1.106:1234', 'mistral-7b-instruct-v0.2', 5, 'fake'],
    ]);
  });

  test('problems in a workers file are located in that file', async () => {
    const { issues } = await failure({
      'scenario.yaml':
        'workers_file: w.json\nexperiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]\n',
      'w.json': '{\n  "workers": [\n    { "id": "a", "host": "h", "port": "1234", "type": "fake" }\n  ]\n}\n',
    });
    expect(issues.map((i) => `${i.at} ${i.path}: ${i.message}`)).toEqual(['w.json:3:39 workers.0.port: "1234" is a string']);
  });

  test('package.json#llmbench is found as project config', async () => {
    const dir = await project({
      'scenario.yaml': 'experiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]\n',
    });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'x', llmbench: { defaults: { backend: 'fake' } } }));
    const s = await loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env: {} });
    expect(s.configFile).toBe(join(dir, 'package.json'));
    expect(s.servers.map((v) => v.id)).toEqual(['fake']);
  });

  test('a missing scenario file is FILE_NOT_FOUND', async () => {
    await expect(loadScenario('/nonexistent/scenario.yaml', { builtins: FIXTURE_BUILTINS })).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: '/nonexistent/scenario.yaml: no such file',
    });
  });
});

describe('balancer', () => {
  const load = async (text: string) => {
    const dir = await project({ 'scenario.yaml': text });
    return loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env: {} });
  };

  test("an experiment's policy name keeps the scenario's health-check settings; an object changes only what it names", async () => {
    const s = await load(yaml`
      backend: mock
      balancer: { policy: least-outstanding, eject_after: 7, backoff_ms: 200 }
      experiments:
        - { name: a, strategy: semaphore }
        - { name: b, strategy: semaphore, balancer: round-robin }
        - { name: c, strategy: semaphore, balancer: { backoff_ms: 50 } }
    `);
    expect(s.experiments.map((e) => [e.balancer.policy, e.balancer.ejectAfter, e.balancer.backoffMs])).toEqual([
      ['least-outstanding', 7, 200],
      ['round-robin', 7, 200],
      ['least-outstanding', 7, 50],
    ]);
  });

  test('an unknown policy is reported at the policy field', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        backend: mock
        balancer: { policy: fastest }
        experiments: [{ name: a, strategy: semaphore }]
      `,
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'balancer.policy' });
  });
});

test('a value from ${env:...} never appears in an error message, even where it is the invalid value', async () => {
  const { issues } = await failure(
    {
      'scenario.yaml': yaml`
        backend: mock
        servers:
          - { id: a, url: "\${env:LLMBENCH_TEST_URL}", max_concurrent_requests: "\${env:LLMBENCH_TEST_CAP}" }
        experiments: [{ name: x, strategy: semaphore }]
      `,
    },
    { LLMBENCH_TEST_URL: 'sk-live-123abc', LLMBENCH_TEST_CAP: 'sk-cap-999' },
  );
  expect(issues.map((i) => i.path)).toEqual(['servers.0.url', 'servers.0.max_concurrent_requests']);
  expect(JSON.stringify(issues)).not.toMatch(/sk-live-123abc|sk-cap-999/);
  expect(issues[0]!.message).toContain('[redacted]');
});

describe('${env:...} syntax and defaults', () => {
  const load = async (text: string, env: NodeJS.ProcessEnv) => {
    const dir = await project({ 'scenario.yaml': text });
    return loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env });
  };

  test('malformed references are errors at their value, not text passed through', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        backend:
          use: fake
          options: { a: "\${env:MYKEY }", b: "\${env:1BAD}", c: "x \${env:ABC" }
        experiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]
        `,
    });
    expect(issues.map((i) => `${i.at} ${i.path}: ${i.message}`)).toEqual([
      'scenario.yaml:3:17 backend.options.a: reference "${env:MYKEY }" has a space in the variable name "MYKEY "',
      'scenario.yaml:3:37 backend.options.b: reference "${env:1BAD}" has a variable name "1BAD" that starts with a digit',
      'scenario.yaml:3:55 backend.options.c: unterminated reference "${env:ABC": no closing "}"',
    ]);
    expect(issues[0]!.hint).toBe(
      'write ${env:NAME} or ${env:NAME:-default}, NAME being letters, digits and "_", not starting with a digit',
    );
  });

  test('a default is used when the variable is unset or empty, becomes a number where one is wanted, and is no secret', async () => {
    const s = await load(
      yaml`
        servers:
          - { id: s, host: "\${env:LLMBENCH_T_HOST:-127.0.0.1}", port: "\${env:LLMBENCH_T_PORT:-8123}", backend: fake }
        workload: { model: "\${env:LLMBENCH_T_MODEL:-m1}" }
        experiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]
        `,
      { LLMBENCH_T_MODEL: '' },
    );
    expect(s.servers[0]!.url).toBe('http://127.0.0.1:8123');
    expect(s.experiments[0]!.workload.model).toBe('m1');
    expect([...s.secrets]).toEqual([]);
    expect(JSON.stringify(s.definition)).toContain('127.0.0.1');
  });

  test('a set variable wins over the default and stays redacted', async () => {
    const s = await load(
      yaml`
        servers:
          - { id: s, url: "\${env:LLMBENCH_T_URL:-http://127.0.0.1:1}", backend: fake }
        experiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]
        `,
      { LLMBENCH_T_URL: 'http://10.1.2.3:9000' },
    );
    expect(s.servers[0]!.url).toBe('http://10.1.2.3:9000');
    expect(JSON.stringify(s.definition)).not.toContain('10.1.2.3');
  });
});

describe('inputs that are user mistakes, not bugs', () => {
  test('a YAML alias bomb and an undefined alias are located errors', async () => {
    const bomb = await failure({
      'scenario.yaml':
        'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n',
    });
    expect(bomb.issues.map((i) => `${i.at} ${i.message}`)).toEqual([
      'scenario.yaml:2:8 aliases expand to more than 100 copies (a "billion laughs" file)',
    ]);
    const undefinedAlias = await failure({ 'scenario.yaml': 'backend: fake\nworkload: *defaults\n' });
    expect(undefinedAlias.issues.map((i) => `${i.at} ${i.message}`)).toEqual([
      'scenario.yaml:2:11 alias *defaults refers to no anchor defined before it',
    ]);
  });

  test('nesting of thousands of levels is refused at the line where it gets too deep', async () => {
    const { issues } = await failure({ 'scenario.yaml': `backend: fake\nseed: ${'['.repeat(5000)}${']'.repeat(5000)}\n` });
    expect(issues.map((i) => `${i.at} ${i.message}`)).toEqual(['scenario.yaml:2:106 more than 100 levels of nesting']);
  });

  test('an empty or comment-only scenario says it is empty and what a scenario needs', async () => {
    for (const text of ['', '# nothing yet\n']) {
      const { error, issues } = await failure({ 'scenario.yaml': text });
      expect(error.message).toMatch(/scenario\.yaml is empty$/);
      expect(issues).toEqual([
        {
          at: 'scenario.yaml:undefined:undefined',
          path: '',
          message: text === '' ? 'the file is empty' : 'the file has only comments',
          hint: 'a scenario needs at least "backend: <name>" (or "servers") and an "experiments" list; see docs/scenarios.md',
        },
      ]);
    }
  });

  test('a duplicate key is named, at its second occurrence', async () => {
    const { issues } = await failure({ 'scenario.yaml': 'backend: fake\nworkload:\n  requests: 1\n  requests: 2\n' });
    expect(issues).toEqual([
      {
        at: 'scenario.yaml:4:3',
        path: 'workload.requests',
        message: 'duplicate key "requests"',
        hint: 'keep one "requests" (the file sets it more than once in the same mapping)',
      },
    ]);
  });

  test('a .json scenario is parsed as JSON: a trailing comma is an error at the comma', async () => {
    const { issues } = await failure({ 'scenario.json': '{\n  "backend": "fake",\n  "experiments": [],\n}\n' });
    expect(issues.map((i) => `${i.at} ${i.message}`)).toEqual(['scenario.json:3:20 syntax error: trailing comma before "}"']);
  });

  test('an id that is not a name says which characters to use, not "write a regex"', async () => {
    const { issues } = await failure({
      'scenario.yaml':
        'servers: [{ id: "a b!", url: "http://127.0.0.1:1", backend: fake }]\nexperiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]\n',
    });
    expect(issues).toEqual([
      {
        at: 'scenario.yaml:1:17',
        path: 'servers.0.id',
        message: '"a b!" is not a valid id',
        hint: 'use letters, digits, "_", "." and "-", starting with a letter or digit',
      },
    ]);
  });

  test('URLs that zod takes but no HTTP client can use are rejected, in servers and in plugin options', async () => {
    const { issues } = await failure({
      'scenario.yaml': yaml`
        servers:
          - { id: a, url: "htp:/bad url", backend: fake }
          - { id: b, url: "localhost:8000", backend: fake }
        experiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]
        `,
    });
    expect(issues.map((i) => `${i.at} ${i.path}: ${i.message}`)).toEqual([
      'scenario.yaml:2:19 servers.0.url: "htp:/bad url" is not a usable URL: it contains a space',
      'scenario.yaml:3:19 servers.1.url: "localhost:8000" is not a usable URL: the scheme is "localhost", not http or https',
    ]);
  });

  test('a throwing .llmbenchrc.js is named in the error', async () => {
    const dir = await project({
      'scenario.yaml': 'backend: fake\nexperiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]\n',
      '.llmbenchrc.js': 'throw new Error("boom");\n',
    });
    await expect(loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env: {} })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: `${join(dir, '.llmbenchrc.js')}: loading the project config failed: boom`,
    });
  });

  test('problems with a worker (a duplicate id, an unknown type) point at that worker in the workers file', async () => {
    const workers = [
      { id: 'a', host: 'h', port: 1, type: 'fake' },
      { id: 'b', host: 'h', port: 2, type: 'fake' },
      { id: 'a', host: 'h', port: 3, type: 'nope' },
    ];
    const { issues } = await failure({
      'scenario.yaml':
        'workers_file: w.json\nexperiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]\n',
      'w.json': `{"workers": [\n${workers.map((w) => `  ${JSON.stringify(w)}`).join(',\n')}\n]}\n`,
    });
    expect(issues.map((i) => `${i.at} ${i.path}: ${i.message.split(';')[0]}`)).toEqual([
      'w.json:4:9 workers.2.id: server id "a" is used twice',
      'w.json:4:40 workers.2.type: no backend plugin "nope"',
    ]);
  });

  test('a workers-file type a backend declares among its aliases is that backend, under its own name', async () => {
    const dir = await project({
      'scenario.yaml':
        'workers_file: w.json\nexperiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]\n',
      'w.json': JSON.stringify({
        workers: [
          { id: 'a', host: 'h', port: 1, type: 'fake_server' },
          { id: 'b', host: 'h', port: 2, type: 'fake' },
        ],
      }),
    });
    const s = await loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env: {} });
    expect(s.servers.map((v) => [v.id, v.backend.resolved.ref])).toEqual([
      ['a', 'fake'],
      ['b', 'fake'],
    ]);
  });
});

describe('validation stays linear and capped', () => {
  test('80,000 unknown keys: the first 50 are listed and the rest counted, in seconds', async () => {
    const keys = Array.from({ length: 80_000 }, (_, i) => `unknown_${i}: 1`).join('\n');
    const started = performance.now();
    const { error, issues } = await failure({
      'scenario.yaml': `backend: fake\nexperiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]\n${keys}\n`,
    });
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(error.message).toMatch(/: 80001 problems found \(the first 50 are listed\)$/);
    expect(error.hint).toBe('79951 more not listed; fix these and validate again');
    expect(issues).toHaveLength(50);
    expect(issues[0]).toMatchObject({
      at: 'scenario.yaml:1:1',
      path: '',
      message: '80000 unknown fields (the first 50 are listed)',
    });
    expect(issues[1]).toMatchObject({ at: 'scenario.yaml:3:1', path: 'unknown_0', message: 'unknown field "unknown_0"' });
  }, 60_000);

  test('a YAML scenario over 4 MiB is refused by its size before it is parsed, with JSON offered instead', async () => {
    const line = 'unknown_key: 1\n';
    const dir = await project({ 'scenario.yaml': line.repeat(Math.ceil(50e6 / line.length)) });
    const started = performance.now();
    await expect(loadScenario(join(dir, 'scenario.yaml'), { builtins: FIXTURE_BUILTINS, env: {} })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: `${join(dir, 'scenario.yaml')} is 47.7 MiB; a YAML scenario may be at most 4.0 MiB`,
      hint: 'check that this is the right file; put long prompt lists in a prompts_file (.txt or .jsonl), or write it as JSON (.json), which may be up to 128.0 MiB',
    });
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 60_000);

  test('a 50 MB JSON scenario of unknown keys: the first 50 listed at their lines, the other 1.9 million counted', async () => {
    const keys = Array.from({ length: 1_900_000 }, (_, i) => `  "unknown_key_${i}": 1`);
    const text = `{"backend": "fake", "experiments": [{"name": "a", "strategy": {"use": "fixed", "options": {"concurrency": 1}}}],\n${keys.join(',\n')}\n}\n`;
    expect(text.length).toBeGreaterThan(50e6);
    const { error, issues } = await failure({ 'scenario.json': text });
    expect(error.message).toMatch(/: 1900001 problems found \(the first 50 are listed\)$/);
    expect(error.hint).toBe('1899951 more not listed; fix these and validate again');
    expect(issues).toHaveLength(50);
    expect(issues[0]).toMatchObject({
      at: 'scenario.json:1:1',
      path: '',
      message: '1900000 unknown fields (the first 50 are listed)',
    });
    expect(issues.slice(1, 3)).toMatchObject([
      { at: 'scenario.json:2:3', path: 'unknown_key_0', message: 'unknown field "unknown_key_0"' },
      { at: 'scenario.json:3:3', path: 'unknown_key_1', message: 'unknown field "unknown_key_1"' },
    ]);
  }, 60_000);

  test('an experiment with a flood of unknown keys in JSON: counted in that experiment, the rest of the file still checked', async () => {
    const keys = Array.from({ length: 5_000 }, (_, i) => `"k${i}": {"deep": [1, 2]}`).join(',\n');
    const { error, issues } = await failure({
      'scenario.json': `{"backend": "fake", "runs": "two", "experiments": [{"name": "a", "strategy": {"use": "fixed", "options": {"concurrency": 1}},\n${keys}}]}\n`,
    });
    expect(error.message).toMatch(/: 5002 problems found \(the first 50 are listed\)$/);
    expect(issues.slice(0, 3)).toMatchObject([
      { at: 'scenario.json:1:29', path: 'runs', message: '"two" is a string' },
      { at: 'scenario.json:1:52', path: 'experiments.0', message: '5000 unknown fields (the first 50 are listed)' },
      { at: 'scenario.json:2:1', path: 'experiments.0.k0', message: 'unknown field "k0"', hint: 'remove "k0"' },
    ]);
  });

  test('YAML: unknown keys past the kept ones are counted, and an anchor among them still serves its alias', async () => {
    const keys = Array.from({ length: 80 }, (_, i) => (i === 70 ? 'x_runs: &r 2' : `unknown_${i}: 1`)).join('\n');
    const { error, issues } = await failure({
      'scenario.yaml': `backend: fake\nexperiments: [{ name: a, strategy: { use: fixed, options: { concurrency: 1 } } }]\n${keys}\nruns: *r\nseed: nope\n`,
    });
    expect(error.message).toMatch(/: 82 problems found \(the first 50 are listed\)$/);
    expect(issues.map((i) => i.message).filter((m) => /alias|unknown fields/.test(m))).toEqual([
      '80 unknown fields (the first 50 are listed)',
    ]);
    expect(issues.at(-1)).toMatchObject({ at: 'scenario.yaml:51:1', path: 'unknown_48' });
  });
});
