import { z } from 'zod';

const INVALID: unique symbol = Symbol('invalid');

/**
 * Keeps the parts of `value` that are valid on their own, so checks that depend on them (plugins,
 * references, duplicates) still run when another field is wrong. Objects keep their valid fields;
 * list items and record values must be wholly valid or become null (lists) / are dropped (records).
 */
export function salvage<T>(schema: z.ZodType<T>, value: unknown): Partial<T> {
  const out = visit(schema, value, false);
  return (out === INVALID ? {} : out) as Partial<T>;
}

function visit(schema: z.ZodType, value: unknown, whole: boolean): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const base = unwrap(schema);
  if (base instanceof z.ZodObject && isPlainObject(value)) {
    const shape = base.shape as Record<string, z.ZodType>;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const field = shape[key];
      if (!field) continue;
      const kept = visit(field, v, false);
      if (kept !== INVALID) out[key] = kept;
    }
    if (!whole) return out;
    const complete = base.safeParse(out);
    return complete.success ? complete.data : INVALID;
  }
  if (base instanceof z.ZodArray && Array.isArray(value)) {
    return value.map((v) => {
      const kept = visit(base.element as z.ZodType, v, true);
      return kept === INVALID ? null : kept;
    });
  }
  if (base instanceof z.ZodRecord && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const kept = visit(base.valueType as z.ZodType, v, true);
      if (kept !== INVALID) out[key] = kept;
    }
    return out;
  }
  return INVALID;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  return s;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
