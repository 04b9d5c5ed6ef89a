import { parse } from 'csv-parse/sync';
import { capped, jsonLines, readData, type DataIssue, type Loaded } from './data.js';
import type { RecordsSource } from './schema.js';

type Row = Readonly<Record<string, unknown>>;

/**
 * Prompts from the records of a .jsonl or .csv file: each record fills the template's "{field}"
 * placeholders ("{i}", the request index, is left for each request). A record that lacks a field
 * the template names is an issue at its line.
 */
export async function loadRecords(source: RecordsSource, file: string): Promise<Loaded<string[]>> {
  const text = await readData(file);
  if (!text.ok) return text;
  const rows = file.toLowerCase().endsWith('.csv') ? csvRows(file, text.value) : jsonRows(file, text.value);
  if (rows.issues.length) return { ok: false, issues: capped(rows.issues) };
  if (rows.rows.length === 0)
    return {
      ok: false,
      issues: [{ file, message: 'has no records', hint: 'add records, one per line (CSV: after the header row)' }],
    };
  const fields = templateFields(source.template);
  const issues: DataIssue[] = [];
  const prompts: string[] = [];
  for (const { line, row } of rows.rows) {
    const missing = fields.filter((f) => row[f] === undefined || row[f] === null);
    if (missing.length) {
      issues.push({
        file,
        line,
        message: `record has no field ${missing.map((m) => `"${m}"`).join(', ')} (the template uses it)`,
        hint: `its fields are: ${Object.keys(row).join(', ') || 'none'}; add the field or change the template`,
      });
      continue;
    }
    prompts.push(fill(source.template, row));
  }
  return issues.length ? { ok: false, issues: capped(issues) } : { ok: true, value: prompts };
}

/** The "{name}" placeholders of a template, "{i}" excepted. */
export function templateFields(template: string): string[] {
  return [...new Set([...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g)].map((m) => m[1]!).filter((f) => f !== 'i'))];
}

function fill(template: string, row: Row): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g, (whole, field: string) => {
    if (field === 'i') return whole;
    const v = row[field];
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

function jsonRows(file: string, text: string): { rows: { line: number; row: Row }[]; issues: DataIssue[] } {
  const { values, issues } = jsonLines(file, text);
  const rows: { line: number; row: Row }[] = [];
  for (const { line, value } of values) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      issues.push({ file, line, message: 'not a JSON object', hint: 'write one {"field": value, ...} object per line' });
    } else rows.push({ line, row: value as Row });
  }
  return { rows, issues };
}

function csvRows(file: string, text: string): { rows: { line: number; row: Row }[]; issues: DataIssue[] } {
  let parsed: { record: Record<string, string>; info: { lines: number; empty_lines: number } }[];
  try {
    parsed = parse(text, { columns: true, info: true, skip_empty_lines: true, bom: true }) as typeof parsed;
  } catch (error) {
    const line = (error as { lines?: unknown }).lines;
    return {
      rows: [],
      issues: [
        {
          file,
          ...(typeof line === 'number' ? { line } : {}),
          message: `not valid CSV (${(error as Error).message})`,
          hint: 'the first row names the fields; quote values that hold commas, quotes or line breaks',
        },
      ],
    };
  }
  // A record's line is the one after the previous record ended (plus any empty lines skipped).
  let end = 1;
  let empty = 0;
  return {
    rows: parsed.map(({ record, info }) => {
      const line = end + 1 + (info.empty_lines - empty);
      end = info.lines;
      empty = info.empty_lines;
      return { line, row: record };
    }),
    issues: [],
  };
}
