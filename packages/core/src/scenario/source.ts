// Over 400 lines on purpose: reading a scenario file (size and type checks, JSON in one jsonc-parser
// pass, YAML with positions, line/column for every issue) is one parser front end.
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { printParseErrorCode, visit, type ParseErrorCode } from 'jsonc-parser';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ErrorCodes, LlmbenchError, type ConfigIssue } from '@llmbench/plugin-api';
import { MAX_LISTED_ISSUES } from './issues.js';

export type PathSegment = string | number;

/** A parsed YAML/JSON file that can say where any value in it came from. */
export interface SourceFile {
  readonly file: string;
  readonly value: unknown;
  /** Line/column of the value at `path`, or of its nearest existing ancestor. */
  locate(path: readonly PathSegment[], options?: { key?: boolean }): { line: number; column: number } | undefined;
  /** True when the document itself has a node at `path`. */
  has(path: readonly PathSegment[]): boolean;
  /** Unknown keys of the mapping at `path` that were counted but left out of `value` (see ReadOptions.knownKeys). */
  dropped?(path: readonly PathSegment[]): number;
}

/** The keys a mapping at `path` may have; undefined where any key is allowed (a record) or nothing is known. */
export type KnownKeys = (path: readonly PathSegment[]) => ReadonlySet<string> | undefined;

export interface ReadOptions {
  /** Larger files are refused before they are parsed (an input file is configuration, not data). */
  readonly maxBytes?: number;
  /** Larger YAML files are refused before they are parsed: the YAML parser is slower than JSON's by far. */
  readonly maxYamlBytes?: number;
  /** What the file is, for messages ("scenario", "workers file"). */
  readonly what?: 'scenario' | 'workers file' | 'project config' | 'results file';
  /** An empty (or comment-only) file has the value undefined instead of being an error. */
  readonly allowEmpty?: boolean;
  /**
   * With this, a mapping keeps at most KEPT_UNKNOWN_KEYS keys that are not known at its path and only
   * counts the rest (SourceFile.dropped), so a flood of unknown keys costs a scan, not a value of
   * millions of fields. YAML drops only those whose value is a plain scalar without an anchor.
   */
  readonly knownKeys?: KnownKeys;
}

/** Unknown keys kept per mapping: one more than are listed, so validation still says the list is cut. */
export const KEPT_UNKNOWN_KEYS = MAX_LISTED_ISSUES + 1;

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
    const found = await stat(file);
    if (found.isDirectory()) {
      throw new LlmbenchError(ErrorCodes.FILE_NOT_FOUND, `${file} is a directory`, {
        hint: options.maxBytes === undefined ? PATH_HINT : `give the path of a ${options.what ?? 'file'} (.yaml, .yml or .json)`,
      });
    }
    // Reading a FIFO waits for a writer in a thread that not even exit can stop, and a device has
    // no size to check: both are refused.
    if (!found.isFile()) {
      throw new LlmbenchError(
        ErrorCodes.FILE_NOT_FOUND,
        `${file} is ${found.isFIFO() ? 'a FIFO (named pipe)' : 'not a regular file'}`,
        {
          hint: `give the path of a ${options.what ?? 'file'} saved on disk (.yaml, .yml or .json)`,
        },
      );
    }
    if (options.maxBytes !== undefined) {
      const size = found.size;
      if (size > options.maxBytes) {
        throw new LlmbenchError(
          ErrorCodes.CONFIG_INVALID,
          `${file} is ${mib(size)}; a ${options.what ?? 'file'} may be at most ${mib(options.maxBytes)}`,
          {
            hint: 'check that this is the right file; put long prompt lists in a prompts_file (.txt or .jsonl)',
          },
        );
      }
      const yamlMax = options.maxYamlBytes;
      if (yamlMax !== undefined && size > yamlMax && extname(file).toLowerCase() !== '.json') {
        throw new LlmbenchError(
          ErrorCodes.CONFIG_INVALID,
          `${file} is ${mib(size)}; a YAML ${options.what ?? 'file'} may be at most ${mib(yamlMax)}`,
          {
            hint: `check that this is the right file; put long prompt lists in a prompts_file (.txt or .jsonl), or write it as JSON (.json), which may be up to ${mib(options.maxBytes)}`,
          },
        );
      }
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof LlmbenchError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new LlmbenchError(
      ErrorCodes.FILE_NOT_FOUND,
      code === 'ENOENT'
        ? `${file}: no such file`
        : code === 'EISDIR'
          ? `${file} is a directory`
          : `${file}: cannot read (${code ?? String(error)})`,
      { cause: error, hint: PATH_HINT },
    );
  }
  return parseSource(file, text, options);
}

const PATH_HINT = 'check the path; relative paths are relative to the current directory';

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
  const fail: Fail = (message, issues) => {
    throw new LlmbenchError(ErrorCodes.CONFIG_INVALID, message, { issues });
  };
  const json = extname(file).toLowerCase() === '.json';

  const deep = tooDeep(text);
  if (deep !== undefined) {
    const pos = positionOf(text, deep);
    fail(`${file} is nested too deeply`, [
      {
        file,
        ...pos,
        path: '',
        message: `more than ${MAX_NESTING} levels of nesting`,
        hint: 'a scenario needs a few levels; look for unclosed brackets or runaway indentation here',
      },
    ]);
  }
  if (json) return parseJson(file, text, options, fail);

  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, strict: true });
  if (doc.errors.length > 0) {
    // One error per line and at most five: after the first, a YAML parser's errors are mostly echoes.
    const seen = new Set<number>();
    const first = doc.errors
      .filter((e) => {
        const line = lineCounter.linePos(e.pos[0]).line;
        if (seen.has(line)) return false;
        seen.add(line);
        return true;
      })
      .slice(0, MAX_SYNTAX_ISSUES);
    fail(
      `${file} is not valid YAML/JSON`,
      first.map((e) => ({
        file,
        ...at(e.pos[0]),
        path: '',
        message: `syntax error: ${firstLine(e.message)}`,
        hint: 'fix the YAML/JSON syntax at this position',
      })),
    );
  }
  if (doc.contents === null) {
    if (options.allowEmpty) return { file, value: undefined, has: () => false, locate: () => undefined };
    fail(`${file} is empty`, [
      {
        file,
        path: '',
        message: text.trim() === '' ? 'the file is empty' : 'the file has only comments',
        hint: NEEDS[options.what ?? 'scenario'],
      },
    ]);
  }

  const index = indexNodes(doc.contents as Node, options.knownKeys);
  if (index.duplicates.length > 0) {
    fail(
      `${file} has duplicate keys`,
      index.duplicates.slice(0, MAX_SYNTAX_ISSUES).map(({ path, node }) => ({
        file,
        ...at(node.range?.[0] ?? 0),
        path: path.join('.'),
        message: `duplicate key "${String(path[path.length - 1])}"`,
        hint: `keep one "${String(path[path.length - 1])}" (the file sets it more than once in the same mapping)`,
      })),
    );
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? undefined;
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const alias = firstAliasProblem(doc.contents as Node, error.message.startsWith('Unresolved'));
    const excessive = error.message.startsWith('Excessive');
    fail(`${file}: ${excessive ? 'too many aliases' : 'undefined alias'}`, [
      {
        file,
        ...(alias?.range ? at(alias.range[0]) : {}),
        path: '',
        message: excessive
          ? `aliases expand to more than ${MAX_ALIAS_COUNT} copies (a "billion laughs" file)`
          : `alias *${alias && isAlias(alias) ? alias.source : '?'} refers to no anchor defined before it`,
        hint: excessive
          ? 'write the values out, or reuse anchors less'
          : 'define the anchor (&name) before the alias (*name), or fix the alias name',
      },
    ]);
  }
  return {
    file,
    value,
    has: (path) => index.nodes.has(pathKey(path)),
    dropped: (path) => index.dropped.get(pathKey(path)) ?? 0,
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

type Fail = (message: string, issues: ConfigIssue[]) => never;

/** Stops jsonc-parser's visit at the first syntax error (it would otherwise recover and go on). */
class JsonSyntaxStop {
  constructor(
    readonly code: ParseErrorCode,
    readonly offset: number,
  ) {}
}

interface JsonFrame {
  readonly value: Record<string, unknown> | unknown[];
  readonly path: PathSegment[];
  readonly key: string;
  readonly known: ReadonlySet<string> | undefined;
  unknown: number;
  dropped: number;
}

/**
 * Parses JSON in one pass with jsonc-parser's event API (no comments, no trailing commas), building
 * the value and recording where each value and key starts. With `knownKeys`, a mapping keeps only its
 * first KEPT_UNKNOWN_KEYS unknown keys: the rest are counted and their values skipped, never built.
 */
function parseJson(file: string, text: string, options: ReadOptions, fail: Fail): SourceFile {
  if (text.trim() === '') {
    if (options.allowEmpty) return { file, value: undefined, has: () => false, locate: () => undefined };
    fail(`${file} is empty`, [{ file, path: '', message: 'the file is empty', hint: NEEDS[options.what ?? 'scenario'] }]);
  }
  const nodes = new Map<string, number>();
  const keys = new Map<string, number>();
  const dropped = new Map<string, number>();
  const duplicates: { path: PathSegment[]; offset: number }[] = [];
  const stack: JsonFrame[] = [];
  let root: unknown;
  let pendingKey = '';
  // Containers being skipped (under a dropped or duplicate key), and whether the next value is.
  let skipping = 0;
  let skipNext = false;
  const childKey = (frame: JsonFrame, segment: PathSegment) =>
    frame.path.length === 0 ? String(segment) : `${frame.key}\u0000${segment}`;
  /** Puts a value into its container; returns its path key. */
  const attach = (value: unknown, offset: number): string => {
    const frame = stack[stack.length - 1];
    if (!frame) {
      root = value;
      nodes.set('', offset);
      return '';
    }
    let key: string;
    if (Array.isArray(frame.value)) {
      key = childKey(frame, frame.value.length);
      frame.value.push(value);
    } else {
      key = childKey(frame, pendingKey);
      if (pendingKey === '__proto__')
        Object.defineProperty(frame.value, pendingKey, { value, enumerable: true, writable: true, configurable: true });
      else frame.value[pendingKey] = value;
    }
    nodes.set(key, offset);
    return key;
  };
  const skipped = (): boolean => {
    if (skipping > 0) return true;
    if (!skipNext) return false;
    skipNext = false;
    return true;
  };
  const open = (value: Record<string, unknown> | unknown[], offset: number) => {
    const frame = stack[stack.length - 1];
    const segment = frame ? (Array.isArray(frame.value) ? frame.value.length : pendingKey) : undefined;
    const key = attach(value, offset);
    const path = frame && segment !== undefined ? [...frame.path, segment] : [];
    stack.push({ value, path, key, known: Array.isArray(value) ? undefined : options.knownKeys?.(path), unknown: 0, dropped: 0 });
  };
  const close = () => {
    const frame = stack.pop()!;
    if (frame.dropped > 0) dropped.set(frame.key, frame.dropped);
  };
  try {
    visit(
      text,
      {
        onObjectBegin(offset) {
          if (skipped()) skipping++;
          else open({}, offset);
        },
        onArrayBegin(offset) {
          if (skipped()) skipping++;
          else open([], offset);
        },
        onObjectEnd() {
          if (skipping > 0) skipping--;
          else close();
        },
        onArrayEnd() {
          if (skipping > 0) skipping--;
          else close();
        },
        onObjectProperty(name, offset) {
          if (skipping > 0) return;
          const frame = stack[stack.length - 1]!;
          // Dropped before any property lookup: looking a key up in an object interns it, which costs
          // more than the whole scan when there are millions.
          const unknown = frame.known !== undefined && !frame.known.has(name);
          if (unknown && frame.unknown >= KEPT_UNKNOWN_KEYS) {
            frame.dropped++;
            skipNext = true;
            return;
          }
          if (Object.hasOwn(frame.value, name)) {
            duplicates.push({ path: [...frame.path, name], offset });
            skipNext = true;
            return;
          }
          if (unknown) frame.unknown++;
          pendingKey = name;
          keys.set(childKey(frame, name), offset);
        },
        onLiteralValue(value: unknown, offset) {
          if (!skipped()) attach(value, offset);
        },
        onError(code, offset) {
          throw new JsonSyntaxStop(code, offset);
        },
      },
      { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
    );
  } catch (error) {
    if (!(error instanceof JsonSyntaxStop)) throw error;
    // Our own scanner's messages say what is wrong in a JSON author's words (a trailing comma at
    // its comma); V8's, then jsonc-parser's, where it finds nothing.
    let found = jsonSyntaxError(text);
    if (!found) {
      try {
        JSON.parse(text);
        found = { offset: error.offset, message: printParseErrorCode(error.code) };
      } catch (parseError) {
        found = { offset: text.length, message: (parseError as Error).message.split('\n')[0]! };
      }
    }
    fail(`${file} is not valid JSON`, [
      {
        file,
        ...positionOf(text, found.offset),
        path: '',
        message: `syntax error: ${found.message}`,
        hint: 'fix the JSON syntax at this position (JSON allows no trailing commas, comments or single quotes)',
      },
    ]);
  }
  if (duplicates.length > 0) {
    fail(
      `${file} has duplicate keys`,
      duplicates.slice(0, MAX_SYNTAX_ISSUES).map(({ path, offset }) => ({
        file,
        ...positionOf(text, offset),
        path: path.join('.'),
        message: `duplicate key "${String(path[path.length - 1])}"`,
        hint: `keep one "${String(path[path.length - 1])}" (the file sets it more than once in the same mapping)`,
      })),
    );
  }
  const lines = lazyLines(text);
  return {
    file,
    value: root,
    has: (path) => nodes.has(pathKey(path)),
    dropped: (path) => dropped.get(pathKey(path)) ?? 0,
    locate(path, locateOptions = {}) {
      for (let depth = path.length; depth >= 0; depth--) {
        const key = pathKey(path.slice(0, depth));
        const offset = depth === path.length && locateOptions.key ? (keys.get(key) ?? nodes.get(key)) : nodes.get(key);
        if (offset !== undefined) return lines(offset);
      }
      return undefined;
    },
  };
}

/** Line and column (1-based) of an offset; the line starts are found once, on the first call. */
function lazyLines(text: string): (offset: number) => { line: number; column: number } {
  let starts: number[] | undefined;
  return (offset) => {
    if (!starts) {
      starts = [0];
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
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
  /** Unknown keys removed from each mapping (by path key), past the first KEPT_UNKNOWN_KEYS. */
  readonly dropped: Map<string, number>;
}

/**
 * Every value and key node by path, built in one pass (lookups by path in a big mapping stay O(1)).
 * With `knownKeys`, a mapping's unknown keys past the first KEPT_UNKNOWN_KEYS are taken out of the
 * document and counted, when their value is a plain scalar (no anchor another node could refer to).
 */
function indexNodes(root: Node, knownKeys: KnownKeys | undefined): NodeIndex {
  const index: NodeIndex = { nodes: new Map(), keys: new Map(), duplicates: [], dropped: new Map() };
  const stack: { node: Node; path: PathSegment[] }[] = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    index.nodes.set(pathKey(path), node);
    if (isMap(node)) {
      const seen = new Set<string>();
      const known = knownKeys?.(path);
      let unknown = 0;
      let dropped = 0;
      for (const item of node.items) {
        if (!isPair(item) || !isScalar(item.key)) continue;
        const name = String(item.key.value);
        if (
          known &&
          !known.has(name) &&
          unknown++ >= KEPT_UNKNOWN_KEYS &&
          isScalar(item.value) &&
          !item.value.anchor &&
          !item.key.anchor
        ) {
          dropped++;
          continue;
        }
        const childPath = [...path, name];
        if (seen.has(name)) {
          index.duplicates.push({ path: childPath, node: item.key });
          continue;
        }
        seen.add(name);
        index.keys.set(pathKey(childPath), item.key);
        if (isScalar(item.value) || isMap(item.value) || isSeq(item.value)) stack.push({ node: item.value, path: childPath });
      }
      if (dropped > 0) {
        index.dropped.set(pathKey(path), dropped);
        let kept = 0;
        node.items = node.items.filter(
          (item) =>
            !isScalar(item.key) ||
            !known ||
            known.has(String(item.key.value)) ||
            kept++ < KEPT_UNKNOWN_KEYS ||
            !isScalar(item.value) ||
            Boolean(item.value.anchor) ||
            Boolean(item.key.anchor),
        );
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
  // Char codes rather than one-character strings: this runs over every character of a big file.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === NL) {
      lineStart = true;
      indent = 0;
      dashes = 0;
      onlyDashes = true;
      continue;
    }
    if (lineStart) {
      if (c === SPACE) {
        indent++;
        continue;
      }
      if (c === HASH || c === CR) continue;
      lineStart = false;
      if (flow === 0) {
        while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
      }
    }
    if (onlyDashes && c === DASH && (text.charCodeAt(i + 1) === SPACE || text.charCodeAt(i + 1) === NL)) dashes++;
    else if (c !== SPACE) onlyDashes = false;
    const prev = i === 0 ? NL : text.charCodeAt(i - 1);
    if (
      (c === DQUOTE || c === SQUOTE) &&
      (isSpace(prev) || prev === OPEN_BRACKET || prev === OPEN_BRACE || prev === COMMA || prev === COLON)
    ) {
      i = closingQuote(text, i);
      continue;
    }
    if (c === HASH && isSpace(prev)) {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl - 1;
      continue;
    }
    if (c === OPEN_BRACKET || c === OPEN_BRACE) flow++;
    else if ((c === CLOSE_BRACKET || c === CLOSE_BRACE) && flow > 0) flow--;
    if (flow + indents.length + dashes > MAX_NESTING) return i;
  }
  return undefined;
}

const NL = 10;
const CR = 13;
const SPACE = 32;
const DQUOTE = 34;
const HASH = 35;
const SQUOTE = 39;
const COMMA = 44;
const DASH = 45;
const COLON = 58;
const OPEN_BRACKET = 91;
const BACKSLASH = 92;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/** As the regex \s: ASCII white space, and Unicode's beyond it. */
function isSpace(c: number): boolean {
  return c === SPACE || (c >= 9 && c <= 13) || (c > 127 && /\s/.test(String.fromCharCode(c)));
}

function closingQuote(text: string, start: number): number {
  const q = text.charCodeAt(start);
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (q === DQUOTE && c === BACKSLASH) i++;
    else if (c === q) {
      if (q === SQUOTE && text.charCodeAt(i + 1) === SQUOTE) i++;
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
