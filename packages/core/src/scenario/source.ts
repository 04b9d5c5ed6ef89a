import { readFile } from 'node:fs/promises';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ErrorCodes, LlmbenchError, type ConfigIssue } from '@llmbench/plugin-api';

export type PathSegment = string | number;

/** A parsed YAML/JSON file that can say where any value in it came from. */
export interface SourceFile {
  readonly file: string;
  readonly value: unknown;
  /** Line/column of the value at `path`, or of its nearest existing ancestor. */
  locate(path: readonly PathSegment[], options?: { key?: boolean }): { line: number; column: number } | undefined;
  /** True when the document itself has a node at `path`. */
  has(path: readonly PathSegment[]): boolean;
}

const MAX_SYNTAX_ISSUES = 5;

export async function readSource(file: string): Promise<SourceFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LlmbenchError(
      ErrorCodes.FILE_NOT_FOUND,
      code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(error)})`,
      { cause: error, hint: 'check the path; relative paths are relative to the current directory' },
    );
  }
  return parseSource(file, text);
}

/**
 * Parses YAML (or JSON, which YAML 1.2 reads too) keeping positions. Syntax errors are all
 * reported at once as CONFIG_INVALID issues.
 */
export function parseSource(file: string, text: string): SourceFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  if (doc.errors.length > 0) {
    // One error per line and at most five: after the first, a YAML parser's errors are mostly echoes.
    const seen = new Set<number>();
    const first = doc.errors.filter((e) => {
      const line = lineCounter.linePos(e.pos[0]).line;
      if (seen.has(line)) return false;
      seen.add(line);
      return true;
    }).slice(0, MAX_SYNTAX_ISSUES);
    const issues: ConfigIssue[] = first.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return {
        file,
        line: pos.line,
        column: pos.col,
        path: '',
        message: `${e.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'syntax error'}: ${firstLine(e.message)}`,
        hint: e.code === 'DUPLICATE_KEY' ? 'keep one of the keys' : 'fix the YAML/JSON syntax at this position',
      };
    });
    throw new LlmbenchError(ErrorCodes.CONFIG_INVALID, `${file} is not valid YAML/JSON`, { issues });
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 }) ?? undefined;
  return {
    file,
    value,
    has: (path) => nodeAt(doc, path) !== undefined,
    locate(path, options = {}) {
      for (let depth = path.length; depth >= 0; depth--) {
        const prefix = path.slice(0, depth);
        const node = depth === path.length && options.key ? keyNodeAt(doc, prefix) : nodeAt(doc, prefix);
        const offset = node?.range?.[0];
        if (offset !== undefined) {
          const pos = lineCounter.linePos(offset);
          return { line: pos.line, column: pos.col };
        }
      }
      return undefined;
    },
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function nodeAt(doc: Document, path: readonly PathSegment[]): Node | undefined {
  if (path.length === 0) return (doc.contents as Node | null) ?? undefined;
  const node = doc.getIn(path as PathSegment[], true);
  return isScalar(node) || isMap(node) || isSeq(node) ? node : undefined;
}

function keyNodeAt(doc: Document, path: readonly PathSegment[]): Node | undefined {
  const parent = nodeAt(doc, path.slice(0, -1));
  const key = path[path.length - 1];
  if (!isMap(parent)) return nodeAt(doc, path);
  for (const item of parent.items) {
    if (isPair(item) && isScalar(item.key) && String(item.key.value) === String(key)) return item.key;
  }
  return undefined;
}
