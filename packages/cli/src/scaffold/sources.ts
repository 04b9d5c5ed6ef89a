/**
 * The `src/` of a new plugin, per kind: a working skeleton and tests that pass as generated. The
 * text is TypeScript source written out verbatim (`\${` is a `${` in the generated file).
 */
import { backendSource, backendTest } from './sources/backend.js';
import { collectorSource, collectorTest } from './sources/collector.js';
import { reporterSource, reporterTest } from './sources/reporter.js';
import type { SourceInput } from './sources/shared.js';
import { strategySource, strategyTest } from './sources/strategy.js';

export type { SourceInput } from './sources/shared.js';

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
