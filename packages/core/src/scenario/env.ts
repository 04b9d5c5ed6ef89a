import type { ConfigIssue } from '@llmbench/plugin-api';
import type { PathSegment, SourceFile } from './source.js';

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE_ENV_REF = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;

export interface EnvResult {
  readonly value: unknown;
  /** Values that came from the environment: redacted in every output. */
  readonly secrets: ReadonlySet<string>;
  readonly issues: readonly ConfigIssue[];
  /** Dotted paths of values whose variable is unset: other problems there are consequences, not news. */
  readonly unsetPaths: ReadonlySet<string>;
  /** Paths (as segments) of values that were exactly one `${env:...}`: candidates for `coerceEnvValues`. */
  readonly wholeRefs: readonly (readonly PathSegment[])[];
}

/**
 * Replaces `${env:NAME}` in every string value; an unset variable is an issue at that value. Values
 * stay strings; `coerceEnvValues` later turns whole-value references into numbers or booleans where
 * the schema asks for one, so `port: ${env:PORT}` works and `model: ${env:MODEL}` stays text.
 */
export function expandEnv(source: SourceFile, env: NodeJS.ProcessEnv, base: readonly PathSegment[] = []): EnvResult {
  const secrets = new Set<string>();
  const issues: ConfigIssue[] = [];
  const unsetPaths = new Set<string>();
  const wholeRefs: PathSegment[][] = [];
  const walk = (value: unknown, path: PathSegment[]): unknown => {
    if (typeof value === 'string') {
      if (!value.includes('${env:')) return value;
      const expanded = value.replace(ENV_REF, (_match, name: string) => {
        const v = env[name];
        if (v === undefined) {
          unsetPaths.add([...base, ...path].join('.'));
          const pos = source.locate(path);
          issues.push({
            file: source.file,
            ...(pos ? { line: pos.line, column: pos.column } : {}),
            path: [...base, ...path].join('.'),
            message: `environment variable ${name} is not set`,
            hint: `export ${name}=... before running, or replace the \${env:${name}} reference`,
          });
          return '';
        }
        if (v !== '') secrets.add(v);
        return v;
      });
      if (WHOLE_ENV_REF.test(value)) wholeRefs.push([...base, ...path]);
      return expanded;
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
    for (const secret of secrets) {
      if (value === secret || (secret.length >= 3 && value.includes(secret))) return REDACTED;
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && typeof v === 'string' ? REDACTED : redactSecrets(v, secrets)]),
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
const SECRET_KEY = /(^|_)(api_?key|token|secret|password|authorization)$/i;

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
    else if (types.has('boolean') && (value === 'true' || value === 'false')) (parent as Record<PathSegment, unknown>)[key] = value === 'true';
  }
  return data;
}
