import type { ConfigIssue } from '@llmbench/plugin-api';
import { isCredentialKey } from './secrets.js';
import type { PathSegment, SourceFile } from './source.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REF_START = '${env:';
const SYNTAX = 'write ${env:NAME} or ${env:NAME:-default}, NAME being letters, digits and "_", not starting with a digit';

export interface EnvResult {
  readonly value: unknown;
  /** Values that came from the environment: redacted in every output. Defaults written in the file are not. */
  readonly secrets: ReadonlySet<string>;
  readonly issues: readonly ConfigIssue[];
  /** Dotted paths of values whose variable is unset: other problems there are consequences, not news. */
  readonly unsetPaths: ReadonlySet<string>;
  /** Paths (as segments) of values that were exactly one `${env:...}`: candidates for `coerceEnvValues`. */
  readonly wholeRefs: readonly (readonly PathSegment[])[];
}

/** True for the issues `expandEnv` reports (which other issues at the same value merely echo). */
export function isEnvIssue(message: string): boolean {
  return (
    message.startsWith('environment variable ') ||
    message.startsWith('reference "') ||
    message.startsWith('unterminated reference ')
  );
}

type Piece = { text: string } | { name: string; fallback?: string } | { error: string; hint: string };

/** Splits a string into literal text and `${env:NAME}` / `${env:NAME:-default}` references. */
function pieces(value: string): Piece[] {
  const out: Piece[] = [];
  let from = 0;
  for (;;) {
    const start = value.indexOf(REF_START, from);
    if (start === -1) break;
    if (start > from) out.push({ text: value.slice(from, start) });
    const end = value.indexOf('}', start);
    if (end === -1) {
      out.push({
        error: `unterminated reference "${value.slice(start, start + 40)}": no closing "}"`,
        hint: `close it: ${SYNTAX}`,
      });
      return out;
    }
    const body = value.slice(start + REF_START.length, end);
    const sep = body.indexOf(':-');
    const name = sep === -1 ? body : body.slice(0, sep);
    if (!NAME.test(name)) {
      const why =
        name === ''
          ? 'has no variable name'
          : /\s/.test(name)
            ? `has a space in the variable name "${name}"`
            : /^[0-9]/.test(name)
              ? `has a variable name "${name}" that starts with a digit`
              : `has an invalid variable name "${name}"`;
      out.push({ error: `reference "\${env:${body}}" ${why}`, hint: SYNTAX });
    } else out.push(sep === -1 ? { name } : { name, fallback: body.slice(sep + 2) });
    from = end + 1;
  }
  if (from < value.length) out.push({ text: value.slice(from) });
  return out;
}

/**
 * Replaces `${env:NAME}` and `${env:NAME:-default}` in every string value. A malformed reference, or an
 * unset variable without a default, is an issue at that value. Values stay strings; `coerceEnvValues`
 * later turns whole-value references into numbers or booleans where the schema asks for one, so
 * `port: ${env:PORT}` works and `model: ${env:MODEL}` stays text.
 */
export function expandEnv(source: SourceFile, env: NodeJS.ProcessEnv, base: readonly PathSegment[] = []): EnvResult {
  const secrets = new Set<string>();
  const issues: ConfigIssue[] = [];
  const unsetPaths = new Set<string>();
  const wholeRefs: PathSegment[][] = [];
  const walk = (value: unknown, path: PathSegment[]): unknown => {
    if (typeof value === 'string') {
      if (!value.includes(REF_START)) return value;
      const issue = (message: string, hint: string) => {
        const pos = source.locate(path);
        issues.push({
          file: source.file,
          ...(pos ? { line: pos.line, column: pos.column } : {}),
          path: [...base, ...path].join('.'),
          message,
          hint,
        });
      };
      const parts = pieces(value);
      let out = '';
      for (const part of parts) {
        if ('text' in part) out += part.text;
        else if ('error' in part) {
          unsetPaths.add([...base, ...path].join('.'));
          issue(part.error, part.hint);
        } else {
          const v = env[part.name];
          if (part.fallback !== undefined && (v === undefined || v === '')) out += part.fallback;
          else if (v === undefined) {
            unsetPaths.add([...base, ...path].join('.'));
            issue(
              `environment variable ${part.name} is not set`,
              `export ${part.name}=... before running, or give a default: \${env:${part.name}:-value}`,
            );
          } else {
            if (v !== '') secrets.add(v);
            out += v;
          }
        }
      }
      if (parts.length === 1 && 'name' in parts[0]!) wholeRefs.push([...base, ...path]);
      return out;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return value;
  };
  return { value: walk(source.value, []), secrets, issues, unsetPaths, wholeRefs };
}

/**
 * A deep copy of `value` in which every string that contains a secret (a value that came from
 * `${env:...}`), and every string under a credential-like key (`api_key`, `token`...), is "[redacted]".
 */
export function redactSecrets(value: unknown, secrets: ReadonlySet<string>): unknown {
  if (typeof value === 'string') {
    // Occurrences are replaced where they stand, so a message that quotes a key stays readable.
    for (const secret of secrets) if (value === secret) return REDACTED;
    return redactText(value, secrets);
  }
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        isCredentialKey(k) && typeof v === 'string' ? REDACTED : redactSecrets(v, secrets),
      ]),
    );
  }
  return value;
}

export const REDACTED = '[redacted]';

/** `text` with every occurrence of a secret (3+ characters) replaced by "[redacted]". */
export function redactText(text: string, secrets: ReadonlySet<string>): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 3) out = out.replaceAll(secret, REDACTED);
  return out;
}

/** Option names that hold credentials whatever their source. */

/**
 * Turns whole-value `${env:...}` strings into numbers or booleans where `wants(path)` says the schema
 * takes one there (and the text is one); everything else stays as the environment gave it.
 */
export function coerceEnvValues(
  data: unknown,
  refs: readonly (readonly PathSegment[])[],
  wants: (path: readonly PathSegment[]) => ReadonlySet<string>,
): unknown {
  for (const path of refs) {
    if (path.length === 0) continue;
    let parent: unknown = data;
    for (const seg of path.slice(0, -1)) parent = (parent as Record<PathSegment, unknown> | undefined)?.[seg];
    if (parent === null || typeof parent !== 'object') continue;
    const key = path[path.length - 1]!;
    const value = (parent as Record<PathSegment, unknown>)[key];
    if (typeof value !== 'string') continue;
    const types = wants(path);
    if (types.has('number') && /^-?\d+(\.\d+)?$/.test(value)) (parent as Record<PathSegment, unknown>)[key] = Number(value);
    else if (types.has('boolean') && (value === 'true' || value === 'false'))
      (parent as Record<PathSegment, unknown>)[key] = value === 'true';
  }
  return data;
}
