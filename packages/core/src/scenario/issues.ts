// Over 400 lines on purpose: one walk over zod's issue tree that turns every kind of issue into a
// located message with a hint; the kinds share the walk's context.
import type { z } from 'zod';
import type { ConfigIssue } from '@llmbench/plugin-api';
import type { PathSegment, SourceFile } from './source.js';

type ZodIssue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/**
 * Turns zod issues into located, human-fixable issues: one per problem (every unknown key is its own
 * issue), each with file:line:column, dotted path, what was expected and a hint.
 */
export function toConfigIssues(
  issues: readonly ZodIssue[],
  options: {
    source: SourceFile;
    schema: AnySchema;
    data: unknown;
    base?: readonly PathSegment[];
    locateIn?: (path: PathSegment[]) => { source: SourceFile; path: PathSegment[] };
    /** Counts the problems found but not listed (a flood of unknown keys lists the first MAX_LISTED_ISSUES). */
    unlisted?: { count: number };
  },
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const ctx: Ctx = { ...options, unlisted: options.unlisted ?? { count: 0 } };
  for (const issue of issues) collect(issue, issue.path as PathSegment[], out, ctx);
  return out;
}

/** Most issues one error lists; the rest are counted ("and 1,234 more"). */
export const MAX_LISTED_ISSUES = 50;

/**
 * Issues for string fields whose schema is a URL (`z.url()`) but whose value is not an http(s) URL
 * with a host: zod takes "htp:/bad url" or "localhost:8000", which no HTTP client can use.
 */
export function urlIssues(
  schema: AnySchema,
  data: unknown,
  emit: (path: PathSegment[], message: string, hint: string) => void,
): void {
  const walk = (value: unknown, path: PathSegment[]): void => {
    if (typeof value === 'string') {
      const isUrlField = schemasAt(schema, path).some((s) => (s._zod.def as unknown as { format?: string }).format === 'url');
      if (!isUrlField) return;
      const problem = httpUrlProblem(value);
      if (problem)
        emit(
          path,
          `${describeValue(value)} is not a usable URL: ${problem}`,
          'write an http:// or https:// URL such as http://127.0.0.1:8000',
        );
      return;
    }
    if (Array.isArray(value)) for (const [i, v] of value.entries()) walk(v, [...path, i]);
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(data, []);
}

/** Why `text` is not an http(s) URL a client can connect to, or undefined when it is one. */
export function httpUrlProblem(text: string): string | undefined {
  if (/\s/.test(text)) return 'it contains a space';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'it cannot be parsed';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `the scheme is "${url.protocol.replace(/:$/, '')}", not http or https`;
  if (url.hostname === '') return 'it has no host';
  if (!/^https?:\/\//i.test(text)) return 'the scheme must be followed by "//"';
  return undefined;
}

interface Ctx {
  readonly source: SourceFile;
  readonly schema: AnySchema;
  readonly data: unknown;
  readonly base?: readonly PathSegment[];
  readonly locateIn?: (path: PathSegment[]) => { source: SourceFile; path: PathSegment[] };
  readonly unlisted: { count: number };
}

function collect(issue: ZodIssue, path: PathSegment[], out: ConfigIssue[], ctx: Ctx): void {
  const base = ctx.base ?? [];
  const targetOf = (p: PathSegment[]) => {
    const full = [...base, ...p];
    return { full, target: ctx.locateIn ? ctx.locateIn(full) : { source: ctx.source, path: full } };
  };
  const emit = (p: PathSegment[], fields: Omit<ConfigIssue, 'file' | 'path' | 'line' | 'column'>, key = false) => {
    const { full, target } = targetOf(p);
    const pos = target.source.locate(target.path, { key });
    out.push({
      file: target.source.file,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      path: full.join('.'),
      ...fields,
    });
  };
  const value = valueAt(ctx.data, path);
  const field = String(path[path.length - 1] ?? '');

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(ctx.schema, path);
      const { target } = targetOf(path);
      // Past the first few, a source counts unknown keys without keeping them in the value.
      const total = issue.keys.length + (target.source.dropped?.(target.path) ?? 0);
      const listed = total > MAX_LISTED_ISSUES ? issue.keys.slice(0, MAX_LISTED_ISSUES) : issue.keys;
      if (listed.length < total) {
        emit(
          path,
          {
            message: `${total} unknown fields (the first ${listed.length} are listed)`,
            ...(allowed.length ? { expected: `one of ${allowed.join(', ')}` } : {}),
            hint: 'remove the fields that are not in the format; see docs/scenarios.md',
          },
          true,
        );
        ctx.unlisted.count += total - listed.length;
      }
      for (const key of listed) {
        const suggestion = closest(key, allowed);
        emit(
          [...path, key],
          {
            message: `unknown field "${key}"`,
            ...(allowed.length ? { expected: `one of ${allowed.join(', ')}` } : {}),
            hint: suggestion ? `did you mean "${suggestion}"?` : `remove "${key}"`,
          },
          true,
        );
      }
      return;
    }
    case 'invalid_union': {
      const discriminator = (issue as { discriminator?: string }).discriminator;
      if (discriminator !== undefined) {
        // zod points either at the union or at its discriminator key; normalise to the union.
        const union = path[path.length - 1] === discriminator ? path.slice(0, -1) : path;
        const allowed = discriminatorValues(ctx.schema, union, discriminator);
        const given = valueAt(ctx.data, [...union, discriminator]);
        const suggestion = typeof given === 'string' ? closest(given, allowed) : undefined;
        emit([...union, discriminator], {
          message:
            given === undefined
              ? `missing required field "${discriminator}"`
              : `${describeValue(given)} is not a known ${discriminator}`,
          ...(allowed.length ? { expected: `one of ${allowed.join(', ')}` } : {}),
          hint: suggestion ? `did you mean "${suggestion}"?` : `set "${discriminator}" to one of ${allowed.join(', ')}`,
        });
        return;
      }
      // Report the branch that got furthest: the one whose issues are not a type mismatch at the union itself.
      const branches = issue.errors.filter((b) => b.length > 0);
      // A mapping given where one branch wants a name (an enum) is a type mismatch too.
      const mismatch = (i: ZodIssue) =>
        i.path.length === 0 &&
        (i.code === 'invalid_type' || (i.code === 'invalid_value' && value !== null && typeof value === 'object'));
      const deeper = branches.filter((b) => !b.every(mismatch));
      const best = deeper.sort((a, b) => a.length - b.length)[0];
      if (best) {
        for (const sub of best) collect(sub, [...path, ...(sub.path as PathSegment[])], out, ctx);
        return;
      }
      const expected = unionExpected(branches);
      emit(path, { message: `${describeValue(value)} is not allowed here`, expected, hint: `set "${field}" to ${expected}` });
      return;
    }
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (value === undefined) {
        emit(path, {
          message: `missing required field "${field}"`,
          expected,
          hint: `add "${field}:" with a ${expected}`,
        });
      } else {
        emit(path, {
          message: value === null ? `"${field}" is empty` : `${describeValue(value)} is a ${typeName(value)}`,
          expected,
          hint: typeHint(expected, value, field),
        });
      }
      return;
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      const suggestion = typeof value === 'string' ? closest(value, issue.values.map(String)) : undefined;
      emit(path, {
        message: `${describeValue(value)} is not allowed`,
        expected: values.length === 1 ? values[0]! : `one of ${values.join(', ')}`,
        hint: suggestion
          ? `did you mean "${suggestion}"?`
          : `use ${values.length === 1 ? values[0] : `one of ${values.join(', ')}`}`,
      });
      return;
    }
    case 'too_small':
    case 'too_big': {
      const bound = String(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const what =
        issue.origin === 'array'
          ? `at least ${bound} item(s)`
          : issue.origin === 'string'
            ? `a string of length ${op} ${bound}`
            : `a number ${op} ${bound}`;
      const expected = issue.code === 'too_big' && issue.origin === 'array' ? `at most ${bound} item(s)` : what;
      emit(path, { message: `${describeValue(value)} is out of range`, expected, hint: `change "${field}" to ${expected}` });
      return;
    }
    case 'invalid_format': {
      // A pattern with its own message (ids and names) explains itself; zod's default names the regex.
      if (issue.format === 'regex' && !issue.message.startsWith('Invalid string')) {
        emit(path, { message: `${describeValue(value)} is not a valid ${field || 'value'}`, hint: issue.message });
        return;
      }
      const what =
        issue.format === 'regex'
          ? `text matching ${String((issue as { pattern?: unknown }).pattern ?? 'the pattern')}`
          : `a ${issue.format}`;
      const example = issue.format === 'url' ? ' such as http://127.0.0.1:8000' : '';
      emit(path, {
        message: `${describeValue(value)} is not ${issue.format === 'regex' ? 'allowed' : `a valid ${issue.format}`}`,
        expected: what,
        hint: `write ${what}${example}`,
      });
      return;
    }
    case 'invalid_key': {
      const inner = issue.issues[0];
      emit(
        path,
        {
          message: `key "${field}" is not allowed${inner ? `: ${inner.message}` : ''}`,
          hint: inner?.message ?? 'rename the key',
        },
        true,
      );
      return;
    }
    default: {
      emit(path, { message: issue.message, hint: hintFromParams(issue) ?? 'see docs/scenarios.md for this field' });
    }
  }
}

function hintFromParams(issue: ZodIssue): string | undefined {
  const params = (issue as { params?: { hint?: unknown } }).params;
  return typeof params?.hint === 'string' ? params.hint : undefined;
}

/** zod's type names in the words of a YAML/JSON author. */
const TYPE_NAMES: Readonly<Record<string, string>> = { array: 'list', object: 'mapping', int: 'integer' };

function typeHint(expected: string, value: unknown, field: string): string {
  if (field === '')
    return expected === 'mapping'
      ? 'the file must be a mapping of fields ("key: value" lines); see docs/scenarios.md'
      : `the file must be a ${expected}`;
  if (value === null) return `give "${field}" a value, or remove the line`;
  if (expected === 'number' && typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) {
    return `remove the quotes: ${field}: ${value.trim()}`;
  }
  if (expected === 'boolean' && (value === 'true' || value === 'false')) return `remove the quotes: ${field}: ${value}`;
  if (expected === 'boolean' && typeof value === 'string' && /^(yes|no|on|off|y|n)$/i.test(value)) {
    return `write true or false (YAML 1.2 reads "${value}" as text)`;
  }
  if (expected === 'list') return `write a list, e.g. "${field}: [${JSON.stringify(value)}]"`;
  return `set "${field}" to a ${expected}`;
}

function unionExpected(branches: readonly (readonly ZodIssue[])[]): string {
  const types = new Set<string>();
  for (const b of branches) for (const i of b) if (i.code === 'invalid_type') types.add(TYPE_NAMES[i.expected] ?? i.expected);
  return types.size ? [...types].join(' or ') : 'a different value';
}

export function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  return typeof value;
}

/** The literal values a discriminated union at `path` accepts for its discriminator key. */
function discriminatorValues(schema: AnySchema, path: readonly PathSegment[], key: string): string[] {
  const values: string[] = [];
  for (const option of schemasAt(schema, path)) {
    const def = option._zod.def as unknown as { type: string; options?: AnySchema[] };
    if (def.type !== 'union' || !def.options) continue;
    for (const o of def.options) {
      const shape = (o._zod.def as unknown as { shape?: Record<string, AnySchema> }).shape;
      const literal = shape?.[key]?._zod.def as unknown as { values?: unknown[] } | undefined;
      for (const v of literal?.values ?? []) values.push(String(v));
    }
  }
  return values;
}

/**
 * What a source may leave out at each path: the keys allowed where every schema that can apply there
 * is a strict object; undefined (keep every key) wherever a record, a loose object or anything else can.
 */
export function knownKeysOf(schema: AnySchema): (path: readonly PathSegment[]) => ReadonlySet<string> | undefined {
  // Every item of a list has the same schema: one answer per path with its indices left out.
  const memo = new Map<string, ReadonlySet<string> | undefined>();
  return (path) => {
    const at = path.map((p) => (typeof p === 'number' ? '#' : p)).join('\u0000');
    if (memo.has(at)) return memo.get(at);
    const keys = knownKeysAt(schema, path);
    memo.set(at, keys);
    return keys;
  };
}

function knownKeysAt(schema: AnySchema, path: readonly PathSegment[]): ReadonlySet<string> | undefined {
  const keys = new Set<string>();
  let objects = 0;
  // schemasAt lists a union and each of its members: the members decide.
  for (const s of schemasAt(schema, path)) {
    const def = s._zod.def as unknown as { type: string; shape?: Record<string, AnySchema>; catchall?: AnySchema };
    if (def.type === 'union' || NOT_MAPPINGS.has(def.type)) continue;
    if (def.type !== 'object' || !def.shape || (def.catchall?._zod.def as { type?: string } | undefined)?.type !== 'never')
      return undefined;
    objects++;
    for (const k of Object.keys(def.shape)) keys.add(k);
  }
  return objects > 0 ? keys : undefined;
}

/** Schema types that never accept a mapping, so they say nothing about which keys one may have. */
const NOT_MAPPINGS: ReadonlySet<string> = new Set([
  'string',
  'number',
  'int',
  'boolean',
  'bigint',
  'enum',
  'literal',
  'null',
  'undefined',
  'array',
  'nan',
  'date',
  'template_literal',
]);

/** The keys an object schema allows at `path`. */
export function allowedKeys(schema: AnySchema, path: readonly PathSegment[]): string[] {
  const found = new Set<string>();
  for (const s of schemasAt(schema, path)) {
    const def = s._zod.def as unknown as { type: string; shape?: Record<string, AnySchema> };
    if (def.type === 'object' && def.shape) for (const k of Object.keys(def.shape)) found.add(k);
  }
  return [...found];
}

/**
 * The schemas that can apply at `path`, descending through optional/default/pipe wrappers, arrays,
 * records and union members; wrappers at the end are unwrapped, unions at the end are kept whole.
 */
export function schemasAt(schema: AnySchema, path: readonly PathSegment[]): AnySchema[] {
  const out: AnySchema[] = [];
  const visit = (s: AnySchema | undefined, rest: readonly PathSegment[]): void => {
    if (!s) return;
    const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'nonoptional':
      case 'catch':
        visit(def.innerType as AnySchema, rest);
        return;
      case 'pipe':
        visit(def.in as AnySchema, rest);
        return;
      case 'union':
        if (rest.length === 0) out.push(s);
        for (const o of def.options as AnySchema[]) visit(o, rest);
        return;
      case 'array':
        if (rest.length) visit(def.element as AnySchema, rest.slice(1));
        return;
      case 'record':
        if (rest.length) visit(def.valueType as AnySchema, rest.slice(1));
        return;
      case 'object':
        if (rest.length === 0) out.push(s);
        else visit((def.shape as Record<string, AnySchema>)[String(rest[0])], rest.slice(1));
        return;
      default:
        if (rest.length === 0) out.push(s);
    }
  };
  visit(schema, path);
  return out;
}

/** The candidate closest to `word` by edit distance, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** The primitive types (number, boolean, string...) a schema accepts at `path`. */
export function typesAt(schema: AnySchema, path: readonly PathSegment[]): Set<string> {
  const types = new Set<string>();
  for (const s of schemasAt(schema, path)) types.add((s._zod.def as unknown as { type: string }).type);
  return types;
}
