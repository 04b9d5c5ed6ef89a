import { readFile } from 'node:fs/promises';

/** A problem in a data file, at a line when it has one. */
export interface DataIssue {
  readonly file: string;
  readonly line?: number;
  readonly message: string;
  readonly hint: string;
}

export type Loaded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly DataIssue[] };

/** Reads a data file as text, or says why it cannot. */
export async function readData(file: string): Promise<Loaded<string>> {
  try {
    return { ok: true, value: await readFile(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      issues: [
        {
          file,
          message: code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(error)})`,
          hint: 'check the path; it is relative to the scenario file',
        },
      ],
    };
  }
}

/** Each non-empty line of a JSONL file parsed, with its 1-based line number; a line that is not JSON is an issue. */
export function jsonLines(file: string, text: string): { values: { line: number; value: unknown }[]; issues: DataIssue[] } {
  const values: { line: number; value: unknown }[] = [];
  const issues: DataIssue[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    try {
      values.push({ line: i + 1, value: JSON.parse(line) as unknown });
    } catch (error) {
      issues.push({
        file,
        line: i + 1,
        message: `not valid JSON (${(error as Error).message})`,
        hint: 'write one JSON object per line',
      });
    }
  }
  return { values, issues };
}

/** At most this many issues are listed per data file: a wrong file would otherwise list every line. */
export const MAX_DATA_ISSUES = 10;

export function capped(issues: DataIssue[]): DataIssue[] {
  if (issues.length <= MAX_DATA_ISSUES) return issues;
  const rest = issues.length - MAX_DATA_ISSUES;
  return [
    ...issues.slice(0, MAX_DATA_ISSUES),
    {
      file: issues[0]!.file,
      message: `... and ${rest} more problem${rest === 1 ? '' : 's'} in this file`,
      hint: 'fix the ones above first',
    },
  ];
}
