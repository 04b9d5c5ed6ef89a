import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { z } from 'zod';
import { isPlugin, type AnyPlugin, type StrategyPlugin } from '@llmbench/plugin-api';

/**
 * Knowledge of particular plugins carried in strings: an import check cannot see core writing
 * `use: 'semaphore'` or reading `prefix_cache_hits`. This finds, in TypeScript sources, every string
 * and property name that is a plugin's name, package, alias, option or the reading a backend derives
 * a metric from, taken from the plugins' own package.json and definitions.
 */
export interface Vocabulary {
  /** Names a string may not be: short names, aliases, packages (`@llmbench/backend-vllm`, `backend-vllm`). */
  readonly names: ReadonlyMap<string, string>;
  /** Names a string or a property may not be: plugin options and derived-metric readings. */
  readonly fields: ReadonlyMap<string, string>;
}

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly owner: string;
}

/** A plugin folder's definition, loaded from its source entry. */
export async function loadPlugins(root: string): Promise<{ dir: string; pkg: string; plugin: AnyPlugin }[]> {
  const out: { dir: string; pkg: string; plugin: AnyPlugin }[] = [];
  for (const entry of readdirSync(join(root, 'plugins'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, 'plugins', entry.name);
    const pkg = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }).name;
    const mod = (await import(pathToFileURL(join(dir, 'src/index.ts')).href)) as { default?: unknown };
    if (!isPlugin(mod.default)) throw new Error(`${dir}/src/index.ts does not default-export a plugin definition`);
    out.push({ dir: relative(root, dir), pkg, plugin: mod.default });
  }
  return out;
}

/**
 * The vocabulary of the plugins, less the words core owns: the property names and enum values of
 * the formats core defines (scenario, project config, results), such as `concurrency` or `rate`,
 * which a plugin option may share without core knowing the plugin.
 */
export async function vocabulary(
  plugins: readonly { pkg: string; plugin: AnyPlugin }[],
  ownWords: ReadonlySet<string>,
): Promise<Vocabulary> {
  const names = new Map<string, string>();
  const fields = new Map<string, string>();
  for (const { pkg, plugin } of plugins) {
    const owner = `${plugin.kind} plugin ${plugin.name}`;
    for (const n of [plugin.name, ...(plugin.aliases ?? []), pkg, pkg.replace(/^@[^/]+\//, '')]) names.set(n, owner);
    const schema = z.toJSONSchema(plugin.options, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, unknown>;
    };
    for (const option of Object.keys(schema.properties ?? {}))
      if (!ownWords.has(option)) fields.set(option, `option of ${owner}`);
    for (const m of plugin.kind === 'backend' ? (plugin.derivedMetrics ?? []) : []) {
      for (const reading of m.from) if (!ownWords.has(reading)) fields.set(reading, `reading of ${owner}`);
    }
    if (plugin.kind === 'strategy')
      for (const param of await reportedParams(plugin)) if (!ownWords.has(param)) fields.set(param, `param of ${owner}`);
  }
  return { names, fields };
}

/**
 * The parameters a strategy's points report (`LoadPoint.params`, e.g. `batch_size`), from its points
 * with default options; none when its options have no defaults for everything.
 */
async function reportedParams(plugin: StrategyPlugin): Promise<string[]> {
  const options = plugin.options.safeParse({});
  if (!options.success) return [];
  const ctx = { logger: silent, clock: { now: () => 0 }, scenarioDir: '.', seed: 1 };
  const strategy = await plugin.create(ctx, options.data);
  return strategy.points({ requests: 10, servers: 1, caps: [Infinity] }).flatMap((p) => Object.keys(p.params ?? {}));
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Every property name and enum value in the given JSON Schemas, less plugins' options (`$defs` named
 * `<kind>-<name>-options`).
 */
export function schemaWords(files: readonly string[]): Set<string> {
  const words = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k === 'properties' && child !== null && typeof child === 'object') for (const p of Object.keys(child)) words.add(p);
        if (k === 'enum' && Array.isArray(child)) for (const e of child) if (typeof e === 'string') words.add(e);
        if (k === 'const' && typeof child === 'string') words.add(child);
        if (k === '$defs' && child !== null && typeof child === 'object') {
          for (const [name, def] of Object.entries(child)) if (!name.endsWith('-options')) walk(def);
        } else walk(child);
      }
    }
  };
  for (const f of files) walk(JSON.parse(readFileSync(f, 'utf8')));
  return words;
}

/** Where one TypeScript source names a plugin's knowledge. Comments are not looked at. */
export function findKnowledge(file: string, text: string, v: Vocabulary): Finding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Finding[] = [];
  const hit = (node: ts.Node, text: string, owner: string | undefined) => {
    if (owner !== undefined)
      found.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, text, owner });
  };
  const inString = (node: ts.Node, s: string) => {
    const whole = s.trim();
    const exact = v.names.get(whole) ?? v.fields.get(whole);
    if (exact !== undefined) return hit(node, whole, exact);
    // Inside longer text only compound words are unmistakable: "json" or "rate" in a sentence is
    // English, "@llmbench/backend-vllm", "lm_studio" or "batch_size" is not.
    for (const token of s.split(/[^A-Za-z0-9_@/.-]+/)) {
      const word = token.replace(/^[.-]+|[.-]+$/g, '');
      const owner = /[-_/]/.test(word) ? (v.names.get(word) ?? v.fields.get(word)) : undefined;
      if (owner !== undefined) return hit(node, word, owner);
    }
  };
  // A one-word option (`size`, `source`) is everyday code as a property; only snake_case ones are the plugin's.
  const field = (name: string) => (name.includes('_') ? v.fields.get(name) : undefined);
  const visit = (node: ts.Node): void => {
    if (
      (ts.isPropertyAssignment(node) || ts.isPropertySignature(node)) &&
      (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))
    ) {
      // A key is a property name, whether written bare or quoted ({ 'batch_size': 1 }).
      hit(node.name, node.name.text, field(node.name.text));
      const value = ts.isPropertyAssignment(node) ? node.initializer : node.type;
      if (value) visit(value);
      return;
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) inString(node, node.text);
    else if (ts.isTemplateExpression(node)) {
      inString(node.head, node.head.text);
      for (const span of node.templateSpans) inString(span.literal, span.literal.text);
    } else if (ts.isPropertyAccessExpression(node)) hit(node.name, node.name.text, field(node.name.text));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** TypeScript sources under `dir`, less tests, type tests and fixtures. */
export function sources(dir: string, skip: (path: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (skip(path)) continue;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist' && entry.name !== '__fixtures__') walk(path);
      } else if (/\.m?ts$/.test(entry.name) && !/\.test(-d)?\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
        out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}
