import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
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

export interface ReadOptions {
  /** Larger files are refused before they are parsed (an input file is configuration, not data). */
  readonly maxBytes?: number;
  /** What the file is, for messages ("scenario", "workers file"). */
  readonly what?: 'scenario' | 'workers file' | 'project config' | 'results file';
  /** An empty (or comment-only) file has the value undefined instead of being an error. */
  readonly allowEmpty?: boolean;
}

/** What an empty file of each kind needs, for the "is empty" message. */
const NEEDS: Readonly<Record<NonNullable<ReadOptions['what']>, string>> = {
  scenario: 'a scenario needs at least "backend: <name>" (or "servers") and an "experiments" list; see docs/scenarios.md',
  'workers file': 'a workers file needs {"workers": [{"id", "host", "port", "type"}]}',
  'project config': 'a project config needs "defaults", "servers" or "plugins"; see docs/scenarios.md',
  'results file': 'give a results file written by "llmbench run" or "llmbench benchmark"',
};

const MAX_SYNTAX_ISSUES = 5;
/** Deeper nesting than any configuration needs; the YAML parser's recursion would overflow the stack first. */
export const MAX_NESTING = 100;
/** Aliases expanded per document: enough for any real reuse, far too few for a "billion laughs". */
const MAX_ALIAS_COUNT = 100;

export async function readSource(file: string, options: ReadOptions = {}): Promise<SourceFile> {
  let text: string;
  try {
    if (options.maxBytes !== undefined) {
      const { size, isDirectory } = await stat(file).then((s) => ({ size: s.size, isDirectory: s.isDirectory() }));
      if (isDirectory) {
        throw new LlmbenchError(ErrorCodes.FILE_NOT_FOUND, `${file} is a directory`, { hint: `give the path of a ${options.what ?? 'file'} (.yaml, .yml or .json)` });
      }
      if (size > options.maxBytes) {
        throw new LlmbenchError(ErrorCodes.CONFIG_INVALID, `${file} is ${mib(size)}; a ${options.what ?? 'file'} may be at most ${mib(options.maxBytes)}`, {
          hint: 'check that this is the right file; put long prompt lists in a prompts_file (.txt or .jsonl)',
        });
      }
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof LlmbenchError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new LlmbenchError(
      ErrorCodes.FILE_NOT_FOUND,
      code === 'ENOENT' ? `${file}: no such file` : code === 'EISDIR' ? `${file} is a directory` : `${file}: cannot read (${code ?? String(error)})`,
      { cause: error, hint: 'check the path; relative paths are relative to the current directory' },
    );
  }
  return parseSource(file, text, options);
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Parses YAML, or JSON for `.json` files (strictly: a trailing comma is an error, not YAML), keeping
 * positions. Syntax errors, duplicate keys, undefined aliases, alias bombs and runaway nesting are
 * reported as CONFIG_INVALID issues at their line.
 */
export function parseSource(file: string, text: string, options: ReadOptions = {}): SourceFile {
  const lineCounter = new LineCounter();
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const fail = (message: string, issues: ConfigIssue[]): never => {
    throw new LlmbenchError(ErrorCodes.CONFIG_INVALID, message, { issues });
  };
  const json = extname(file).toLowerCase() === '.json';
  const kind = json ? 'JSON' : 'YAML';

  const deep = tooDeep(text);
  if (deep !== undefined) {
    const pos = positionOf(text, deep);
    fail(`${file} is nested too deeply`, [{
      file, ...pos, path: '',
      message: `more than ${MAX_NESTING} levels of nesting`,
      hint: 'a scenario needs a few levels; look for unclosed brackets or runaway indentation here',
    }]);
  }
  let jsonValue: unknown;
  if (json && text.trim() !== '') {
    try {
      jsonValue = JSON.parse(text);
    } catch (error) {
      // V8's messages give no position for some errors (a trailing comma): find it ourselves.
      const found = jsonSyntaxError(text) ?? { offset: text.length, message: (error as Error).message.split('\n')[0]! };
      fail(`${file} is not valid JSON`, [{
        file, ...positionOf(text, found.offset), path: '',
        message: `syntax error: ${found.message}`,
        hint: 'fix the JSON syntax at this position (JSON allows no trailing commas, comments or single quotes)',
      }]);
    }
  }

  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, strict: true });
  if (doc.errors.length > 0) {
    // One error per line and at most five: after the first, a YAML parser's errors are mostly echoes.
    const seen = new Set<number>();
    const first = doc.errors.filter((e) => {
      const line = lineCounter.linePos(e.pos[0]).line;
      if (seen.has(line)) return false;
      seen.add(line);
      return true;
    }).slice(0, MAX_SYNTAX_ISSUES);
    fail(`${file} is not valid ${kind === 'JSON' ? 'JSON' : 'YAML/JSON'}`, first.map((e) => ({
      file, ...at(e.pos[0]), path: '',
      message: `syntax error: ${firstLine(e.message)}`,
      hint: `fix the ${kind === 'JSON' ? 'JSON' : 'YAML/JSON'} syntax at this position`,
    })));
  }
  if (doc.contents === null) {
    if (options.allowEmpty) return { file, value: undefined, has: () => false, locate: () => undefined };
    fail(`${file} is empty`, [{
      file, path: '',
      message: text.trim() === '' ? 'the file is empty' : 'the file has only comments',
      hint: NEEDS[options.what ?? 'scenario'],
    }]);
  }

  const index = indexNodes(doc.contents as Node);
  if (index.duplicates.length > 0) {
    fail(`${file} has duplicate keys`, index.duplicates.slice(0, MAX_SYNTAX_ISSUES).map(({ path, node }) => ({
      file, ...at(node.range?.[0] ?? 0), path: path.join('.'),
      message: `duplicate key "${String(path[path.length - 1])}"`,
      hint: `keep one "${String(path[path.length - 1])}" (the file sets it more than once in the same mapping)`,
    })));
  }

  let value: unknown;
  try {
    value = json ? jsonValue : (doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? undefined);
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const alias = firstAliasProblem(doc.contents as Node, error.message.startsWith('Unresolved'));
    const excessive = error.message.startsWith('Excessive');
    fail(`${file}: ${excessive ? 'too many aliases' : 'undefined alias'}`, [{
      file, ...(alias?.range ? at(alias.range[0]) : {}), path: '',
      message: excessive
        ? `aliases expand to more than ${MAX_ALIAS_COUNT} copies (a "billion laughs" file)`
        : `alias *${alias && isAlias(alias) ? alias.source : '?'} refers to no anchor defined before it`,
      hint: excessive ? 'write the values out, or reuse anchors less' : 'define the anchor (&name) before the alias (*name), or fix the alias name',
    }]);
  }
  return {
    file,
    value,
    has: (path) => index.nodes.has(pathKey(path)),
    locate(path, options = {}) {
      for (let depth = path.length; depth >= 0; depth--) {
        const key = pathKey(path.slice(0, depth));
        const node = depth === path.length && options.key ? (index.keys.get(key) ?? index.nodes.get(key)) : index.nodes.get(key);
        const offset = node?.range?.[0];
        if (offset !== undefined) return at(offset);
      }
      return undefined;
    },
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function pathKey(path: readonly PathSegment[]): string {
  return path.map(String).join('\u0000');
}

interface NodeIndex {
  readonly nodes: Map<string, Node>;
  readonly keys: Map<string, Node>;
  readonly duplicates: { path: PathSegment[]; node: Node }[];
}

/** Every value and key node by path, built in one pass (lookups by path in a big mapping stay O(1)). */
function indexNodes(root: Node): NodeIndex {
  const index: NodeIndex = { nodes: new Map(), keys: new Map(), duplicates: [] };
  const stack: { node: Node; path: PathSegment[] }[] = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    index.nodes.set(pathKey(path), node);
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const item of node.items) {
        if (!isPair(item) || !isScalar(item.key)) continue;
        const name = String(item.key.value);
        const childPath = [...path, name];
        if (seen.has(name)) {
          index.duplicates.push({ path: childPath, node: item.key });
          continue;
        }
        seen.add(name);
        index.keys.set(pathKey(childPath), item.key);
        if (isScalar(item.value) || isMap(item.value) || isSeq(item.value)) stack.push({ node: item.value, path: childPath });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        if (isScalar(item) || isMap(item) || isSeq(item)) stack.push({ node: item, path: [...path, i] });
      });
    }
  }
  index.duplicates.sort((a, b) => (a.node.range?.[0] ?? 0) - (b.node.range?.[0] ?? 0));
  return index;
}

/** The first alias node (an unresolved one when `unresolved`), for locating an alias error. */
function firstAliasProblem(root: Node, unresolved: boolean): Node | undefined {
  const anchors = new Set<string>();
  let found: Node | undefined;
  // Document order: anchors must precede aliases, so visit children left to right.
  const visit = (node: Node | null | undefined): boolean => {
    if (!node) return false;
    if ('anchor' in node && typeof node.anchor === 'string') anchors.add(node.anchor);
    if (isAlias(node)) {
      if (!unresolved || !anchors.has(node.source)) {
        found = node;
        return true;
      }
      return false;
    }
    if (isMap(node)) return node.items.some((p) => visit(p.key as Node) || visit(p.value as Node));
    if (isSeq(node)) return node.items.some((i) => visit(i as Node));
    return false;
  };
  visit(root);
  return found;
}

/**
 * The offset at which nesting first exceeds MAX_NESTING, counting flow brackets, block indentation
 * and "- " entries; undefined when it never does. Quoted strings and comments are skipped.
 */
function tooDeep(text: string): number | undefined {
  let flow = 0;
  const indents: number[] = [];
  let lineStart = true;
  let indent = 0;
  let dashes = 0;
  let onlyDashes = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      lineStart = true;
      indent = 0;
      dashes = 0;
      onlyDashes = true;
      continue;
    }
    if (lineStart) {
      if (c === ' ') {
        indent++;
        continue;
      }
      if (c === '#' || c === '\r') continue;
      lineStart = false;
      if (flow === 0) {
        while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
      }
    }
    if (onlyDashes && c === '-' && (text[i + 1] === ' ' || text[i + 1] === '\n')) dashes++;
    else if (c !== ' ') onlyDashes = false;
    const prev = i === 0 ? '\n' : text[i - 1]!;
    if ((c === '"' || c === "'") && /[\s[{,:]/.test(prev)) {
      const end = closingQuote(text, i);
      i = end;
      continue;
    }
    if (c === '#' && /\s/.test(prev)) {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl - 1;
      continue;
    }
    if (c === '[' || c === '{') flow++;
    else if ((c === ']' || c === '}') && flow > 0) flow--;
    if (flow + indents.length + dashes > MAX_NESTING) return i;
  }
  return undefined;
}

function closingQuote(text: string, start: number): number {
  const q = text[start]!;
  for (let i = start + 1; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') i++;
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return text.length;
}

function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/** The first syntax error in JSON `text` (offset and what is wrong), or undefined if it is valid. */
function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const err = (message: string) => ({ offset: i, message });
  const describe = () => (i >= text.length ? 'end of file' : `"${text[i]}"`);
  const value = (): { offset: number; message: string } | undefined => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return undefined;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') return err(`expected a "quoted" key, found ${describe()}`);
          const e = string();
          if (e) return e;
          ws();
          if (text[i] !== ':') return err(`expected ":" after the key, found ${describe()}`);
          i++;
        }
        const e = value();
        if (e) return e;
        ws();
        if (text[i] === ',') {
          const comma = i++;
          ws();
          if (text[i] === close) return { offset: comma, message: `trailing comma before "${close}"` };
          continue;
        }
        if (text[i] === close) {
          i++;
          return undefined;
        }
        return err(`expected "," or "${close}", found ${describe()}`);
      }
    }
    if (c === '"') return string();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (literal) {
      i += literal[0].length;
      return undefined;
    }
    if (c === '/') return err('comments are not allowed in JSON');
    if (c === "'") return err('strings need double quotes in JSON');
    return err(`unexpected ${describe()}`);
  };
  const string = (): { offset: number; message: string } | undefined => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\n') return { offset: start, message: 'string not closed on its line' };
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) return { offset: start, message: 'string not closed' };
    i++;
    return undefined;
  };
  const e = value();
  if (e) return e;
  ws();
  return i < text.length ? err(`unexpected ${describe()} after the end of the document`) : undefined;
}
