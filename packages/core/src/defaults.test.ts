import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { BENCHMARK_DEFAULTS } from './seed/benchmark.js';
import { COLLECTOR_DEFAULTS, RUN_DEFAULTS, SCENARIO_DEFAULTS, SYNTHETIC_DEFAULTS, WORKLOAD_DEFAULTS } from './defaults.js';
import { DEFAULT_BALANCER } from './engine/balancer.js';
import { PROCESS_DEFAULTS } from './jobs/defaults.js';

const doc = (name: string): string => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');
const scenarios = doc('scenarios.md').split('\n');
/** A document's prose with its line breaks and runs of spaces as single spaces. */
const prose = (name: string): string => doc(name).replace(/\s+/g, ' ');

const cells = (line: string): string[] =>
  line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());

/**
 * The Default column of the row for `field` in the first table after `heading` (and before the
 * next heading). Throws when the docs have no such row, so a renamed field fails here too.
 */
function documentedDefault(heading: string, field: string, after?: string): string {
  let i = scenarios.indexOf(heading);
  if (i < 0) throw new Error(`docs/scenarios.md has no heading "${heading}"`);
  if (after !== undefined) i = scenarios.findIndex((l, j) => j > i && l.startsWith(after));
  let header: string[] | undefined;
  for (let j = i + 1; j < scenarios.length && !scenarios[j]!.startsWith('#'); j++) {
    const line = scenarios[j]!;
    if (!line.startsWith('|')) {
      if (header) break;
      continue;
    }
    const row = cells(line);
    if (!header) header = row;
    else if (row[0] === `\`${field}\`` || row[1] === `\`${field}\``) return row[header.indexOf('Default')]!;
  }
  throw new Error(`docs/scenarios.md: no row for ${field} under "${heading}"`);
}

describe('docs/scenarios.md quotes the defaults the code applies', () => {
  test('workload', () => {
    expect(documentedDefault('## Workload', 'requests')).toBe(String(WORKLOAD_DEFAULTS.requests));
    expect(documentedDefault('## Workload', 'warmup')).toBe(String(WORKLOAD_DEFAULTS.warmup));
    expect(documentedDefault('## Workload', 'stream')).toBe(`\`${WORKLOAD_DEFAULTS.stream}\``);
    expect(documentedDefault('## Workload', 'timeout_ms')).toBe(String(WORKLOAD_DEFAULTS.timeout_ms));
  });

  test('synthetic source', () => {
    const at = '**`synthetic`';
    expect(documentedDefault('### Workload sources', 'prefix_tokens', at)).toBe(String(SYNTHETIC_DEFAULTS.prefix_tokens));
    expect(documentedDefault('### Workload sources', 'prompts', at)).toBe(
      `\`warmup + requests\`, at most ${SYNTHETIC_DEFAULTS.max_prompts}`,
    );
    expect(documentedDefault('### Workload sources', 'tokenizer', at)).toBe(`\`${SYNTHETIC_DEFAULTS.tokenizer}\``);
  });

  test('top-level runs and seed', () => {
    expect(documentedDefault('## Top-level fields', 'runs')).toBe(`project \`defaults.runs\`, else ${SCENARIO_DEFAULTS.runs}`);
    expect(documentedDefault('## Top-level fields', 'seed')).toBe(String(SCENARIO_DEFAULTS.seed));
  });

  test('balancer', () => {
    expect(documentedDefault('## Balancer', 'policy')).toBe(`\`${DEFAULT_BALANCER.policy}\``);
    expect(documentedDefault('## Balancer', 'ewma_alpha')).toBe(String(DEFAULT_BALANCER.ewmaAlpha));
    expect(documentedDefault('## Balancer', 'ewma_decay_ms')).toBe(String(DEFAULT_BALANCER.ewmaDecayMs));
    expect(documentedDefault('## Balancer', 'eject_after')).toBe(String(DEFAULT_BALANCER.ejectAfter));
    expect(documentedDefault('## Balancer', 'backoff_ms')).toBe(String(DEFAULT_BALANCER.backoffMs));
    expect(documentedDefault('## Balancer', 'max_backoff_ms')).toBe(String(DEFAULT_BALANCER.maxBackoffMs));
  });

  test('collector interval, in the table and for the string form', () => {
    expect(documentedDefault('## Collectors', 'interval_ms')).toBe(String(COLLECTOR_DEFAULTS.interval_ms));
    expect(scenarios).toContain(
      `The string form, \`collectors: [./collectors/loadavg.js]\`, samples every ${COLLECTOR_DEFAULTS.interval_ms} ms.`,
    );
  });
});

describe("docs/scenarios.md's flag tables quote the commands' defaults", () => {
  test('llmbench benchmark', () => {
    const at = '### `llmbench benchmark`';
    expect(documentedDefault(at, '--mode <mode>')).toBe(`\`${BENCHMARK_DEFAULTS.mode}\``);
    expect(documentedDefault(at, '--requests <n>')).toBe(String(BENCHMARK_DEFAULTS.requests));
    expect(documentedDefault(at, '--concurrency-levels <n...>')).toBe(`\`${BENCHMARK_DEFAULTS.concurrencyLevels.join(' ')}\``);
    expect(documentedDefault(at, '--worker-counts <n...>')).toBe(`\`${BENCHMARK_DEFAULTS.workerCounts.join(' ')}\``);
    expect(documentedDefault(at, '-o, --output <file>')).toBe(`\`${BENCHMARK_DEFAULTS.output}\``);
    expect(documentedDefault(at, '--warmup <n>')).toBe(String(BENCHMARK_DEFAULTS.warmup));
    expect(documentedDefault(at, '--runs <n>')).toBe(String(SCENARIO_DEFAULTS.runs));
    expect(documentedDefault(at, '--timeout-ms <ms>')).toBe(String(WORKLOAD_DEFAULTS.timeout_ms));
    expect(documentedDefault(at, '--balancer <policy>')).toBe(`\`${DEFAULT_BALANCER.policy}\``);
  });

  test('llmbench process', () => {
    const at = '### `llmbench process`';
    expect(documentedDefault(at, '-p, --preset <name>')).toBe(`\`${PROCESS_DEFAULTS.preset}\``);
    expect(documentedDefault(at, '-o, --out <dir>')).toBe(`\`${PROCESS_DEFAULTS.out}\``);
    expect(documentedDefault(at, '--timeout-ms <ms>')).toBe(String(WORKLOAD_DEFAULTS.timeout_ms));
    expect(documentedDefault(at, '--balancer <policy>')).toBe(`\`${DEFAULT_BALANCER.policy}\``);
  });
});

test('the docs quote the progress and sampling intervals the runner uses', () => {
  expect(prose('engine.md')).toContain(`\`MessagePort\` every ${RUN_DEFAULTS.workerProgressIntervalMs} ms.`);
  expect(prose('engine.md')).toContain(
    `- Every ${RUN_DEFAULTS.progressIntervalMs} ms the runner calls each reporter's \`onProgress\``,
  );
  expect(prose('scenarios.md')).toContain(
    `The reporter gets a progress snapshot about every ${RUN_DEFAULTS.progressIntervalMs} ms`,
  );
  expect(prose('plugins.md')).toContain(`reporters' \`onProgress(snapshot)\` about every ${RUN_DEFAULTS.progressIntervalMs} ms`);
  expect(prose('plugins.md')).toContain(`| About every ${RUN_DEFAULTS.progressIntervalMs} ms during measured runs`);
  expect(prose('metrics.md')).toContain(
    `(\`serverSampleIntervalMs\` of \`runScenario\`, default ${RUN_DEFAULTS.serverSampleIntervalMs} ms)`,
  );
  expect(prose('metrics.md')).toContain(`every \`interval_ms\` (${COLLECTOR_DEFAULTS.interval_ms} by default)`);
});
