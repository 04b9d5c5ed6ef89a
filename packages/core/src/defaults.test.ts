import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { COLLECTOR_DEFAULTS, RUN_DEFAULTS, SCENARIO_DEFAULTS, SYNTHETIC_DEFAULTS, WORKLOAD_DEFAULTS } from './defaults.js';
import { DEFAULT_BALANCER } from './engine/balancer.js';

const scenarios = readFileSync(new URL('../../../docs/scenarios.md', import.meta.url), 'utf8').split('\n');
const engine = readFileSync(new URL('../../../docs/engine.md', import.meta.url), 'utf8');

const cells = (line: string): string[] => line.split('|').slice(1, -1).map((c) => c.trim());

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
    else if (row[0] === `\`${field}\``) return row[header.indexOf('Default')]!;
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
    expect(documentedDefault('### Workload sources', 'prompts', at)).toBe(`\`warmup + requests\`, at most ${SYNTHETIC_DEFAULTS.max_prompts}`);
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
    expect(scenarios).toContain(`The string form, \`collectors: [./collectors/loadavg.js]\`, samples every ${COLLECTOR_DEFAULTS.interval_ms} ms.`);
  });
});

test('docs/engine.md quotes the progress intervals the runner uses', () => {
  expect(engine).toContain(`\`MessagePort\` every ${RUN_DEFAULTS.workerProgressIntervalMs} ms.`);
  expect(engine).toContain(`- Every ${RUN_DEFAULTS.progressIntervalMs} ms the runner calls each reporter's \`onProgress\``);
});
