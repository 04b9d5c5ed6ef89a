import { basename, extname, relative } from 'node:path';
import { ErrorCodes, LlmbenchError, RESULTS_SCHEMA_VERSION, RunResultsSchema, type RunResults } from '@llmbench/plugin-api';
import { toConfigIssues } from './scenario/issues.js';
import { readSource } from './scenario/source.js';
import { resultsIn } from './seed/results.js';

/**
 * Reads a results file: llmbench's own (schemas/results.schema.json) or the seed-style file that
 * `llmbench benchmark` writes (`resultsIn`).
 * A file that is neither is a CONFIG_INVALID error with every problem located in it.
 */
export async function readResultsFile(file: string): Promise<RunResults> {
  const source = await readSource(file);
  const { data, base } = resultsIn(source.value);
  const version = (data as { schema_version?: unknown } | null)?.schema_version;
  if (typeof version === 'number' && version !== RESULTS_SCHEMA_VERSION) {
    throw new LlmbenchError(
      ErrorCodes.CONFIG_INVALID,
      `${file}: results format version ${version}; this llmbench reads version ${RESULTS_SCHEMA_VERSION}`,
      {
        hint:
          version < RESULTS_SCHEMA_VERSION
            ? 're-run the scenario with this llmbench, or use the llmbench that wrote the file'
            : 'use a newer llmbench',
      },
    );
  }
  const parsed = RunResultsSchema.safeParse(data);
  if (!parsed.success) {
    const issues = toConfigIssues(parsed.error.issues, { source, schema: RunResultsSchema, data, base });
    throw new LlmbenchError(
      ErrorCodes.CONFIG_INVALID,
      `${file}: not an llmbench results file (${issues.length} problem${issues.length === 1 ? '' : 's'})`,
      {
        issues,
        hint: 'pass files written by "llmbench run" (reporter json) or "llmbench benchmark"',
      },
    );
  }
  return parsed.data;
}

export interface ComparedCell {
  readonly requests_per_second: number;
  readonly success_rate: number;
  readonly p50_ms: number | null;
  readonly p95_ms: number | null;
}

export interface ComparisonRow {
  /** The point's name (experiment, plus the point label for sweeps). */
  readonly name: string;
  /** One cell per file, null where the file has no such point. */
  readonly cells: readonly (ComparedCell | null)[];
  /** requests_per_second / the first file's, per file (null when either is missing or the first is 0). */
  readonly speedup: readonly (number | null)[];
}

export interface Comparison {
  /** Short names of the files, in order. */
  readonly labels: readonly string[];
  readonly scenarios: readonly string[];
  readonly rows: readonly ComparisonRow[];
}

/**
 * The seed's comparison table for any number of results files: points matched by name, speedup of
 * each file's throughput against the first file's (`multi_rps / single_rps` in the seed's script).
 */
export function compareResults(inputs: readonly { file: string; results: RunResults }[], cwd = process.cwd()): Comparison {
  if (inputs.length < 2) throw new LlmbenchError(ErrorCodes.USAGE, 'compare needs at least two results files');
  const labels = shortLabels(
    inputs.map((i) => i.file),
    cwd,
  );
  const names: string[] = [];
  for (const { results } of inputs)
    for (const e of results.experiments) if (!names.includes(pointKey(e))) names.push(pointKey(e));
  const rows = names.map((name): ComparisonRow => {
    const cells = inputs.map(({ results }) => {
      const e = results.experiments.find((x) => pointKey(x) === name);
      if (!e) return null;
      const s = e.summary;
      return {
        requests_per_second: s.requests_per_second,
        success_rate: s.success_rate,
        p50_ms: s.latency_ms?.p50 ?? null,
        p95_ms: s.latency_ms?.p95 ?? null,
      };
    });
    const first = cells[0];
    const speedup = cells.map((c) =>
      c && first && first.requests_per_second > 0
        ? Math.round((c.requests_per_second / first.requests_per_second) * 1000) / 1000
        : null,
    );
    return { name, cells, speedup };
  });
  const shared = rows.filter((r) => r.cells.every((c) => c !== null));
  if (shared.length === 0) {
    throw new LlmbenchError(
      ErrorCodes.USAGE,
      `the files have no experiment in common (${inputs.map((i, k) => `${labels[k]}: ${i.results.experiments.map((e) => e.name).join(', ') || 'none'}`).join('; ')})`,
      {
        hint: 'compare results of the same scenario (experiments are matched by name)',
      },
    );
  }
  return { labels, scenarios: inputs.map((i) => i.results.scenario.name), rows };
}

/**
 * What a point is called across files: its experiment and its label. A sweep that has one point in
 * one file (a scaling test over a single worker: just "scaling") and several in another
 * ("scaling/servers=1", ...) still matches point for point.
 */
function pointKey(e: RunResults['experiments'][number]): string {
  return e.label === e.experiment ? e.experiment : `${e.experiment}/${e.label}`;
}

/** File names without extension; relative paths when two names would be the same. */
function shortLabels(files: readonly string[], cwd: string): string[] {
  const names = files.map((f) => basename(f, extname(f)));
  const labels = new Set(names).size === names.length ? names : files.map((f) => relative(cwd, f) || f);
  // The same file twice: number the repeats.
  return labels.map((l, i) => {
    const before = labels.slice(0, i).filter((x) => x === l).length;
    return before === 0 ? l : `${l}#${before + 1}`;
  });
}
