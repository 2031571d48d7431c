import { z } from 'zod';
import { type FieldError, platformErrors } from '../bus/errors.ts';

/** A NUL character, or a UTF-16 surrogate without its pair: text no database, log or event should receive. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is the point of this pattern.
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The earliest and latest instants any date input may name: outside them a date is a typo or a probe. */
export const DATE_INPUT_BOUNDS = { min: '1970-01-01T00:00:00Z', max: '2100-01-01T00:00:00Z' } as const;
const MIN_DATE_MS = Date.parse(DATE_INPUT_BOUNDS.min);
const MAX_DATE_MS = Date.parse(DATE_INPUT_BOUNDS.max);

/** Whether an ISO date or date-time lies within {@link DATE_INPUT_BOUNDS}. */
export function isDateWithinBounds(value: string): boolean {
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms >= MIN_DATE_MS && ms < MAX_DATE_MS;
}

/** Field errors for every string (or object key) in `value` that holds NUL or a lone surrogate. */
export function unsafeTextErrors(value: unknown, path: string[] = [], errors: FieldError[] = []): FieldError[] {
  if (typeof value === 'string') {
    if (UNSAFE_TEXT.test(value))
      errors.push({
        path: path.join('.') || '(root)',
        message: 'must not contain NUL characters or unpaired surrogates',
      });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      unsafeTextErrors(item, [...path, String(i)], errors);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (UNSAFE_TEXT.test(key))
        errors.push({
          path: path.join('.') || '(root)',
          message: 'keys must not contain NUL characters or unpaired surrogates',
        });
      else unsafeTextErrors(item, [...path, key], errors);
    }
  }
  return errors;
}

/** Whether any string (or key) of `value` holds NUL or a lone surrogate; allocates nothing. */
function hasUnsafeText(value: unknown): boolean {
  if (typeof value === 'string') return UNSAFE_TEXT.test(value);
  if (Array.isArray(value)) return value.some(hasUnsafeText);
  if (value !== null && typeof value === 'object') {
    for (const key in value)
      if (UNSAFE_TEXT.test(key) || hasUnsafeText((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** Throws a 400 validation error when any string of `value` holds NUL or a lone surrogate. */
export function rejectUnsafeText(value: unknown): void {
  if (!hasUnsafeText(value)) return;
  throw platformErrors.validation(
    unsafeTextErrors(value),
    'Text must not contain NUL characters or unpaired surrogates.',
  );
}

type JsonSchema = {
  type?: unknown;
  format?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
};

/** Paths ('*' for array items) of every date or date-time field of a schema's input, from its JSON Schema. */
export function dateFieldPaths(schema: z.ZodType): string[][] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const paths = new Map<string, string[]>();
  const visit = (node: JsonSchema | undefined, path: string[]) => {
    if (!node || typeof node !== 'object') return;
    if (node.format === 'date' || node.format === 'date-time') paths.set(path.join('\u0001'), path);
    for (const branch of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) visit(branch, path);
    for (const [key, child] of Object.entries(node.properties ?? {})) visit(child, [...path, key]);
    if (node.items) visit(node.items, [...path, '*']);
  };
  visit(json, []);
  return [...paths.values()];
}

/**
 * A guard for the inputs of one schema, built once: 400 for NUL or lone surrogates in any
 * string, and for any date field outside {@link DATE_INPUT_BOUNDS}. Run on validated input.
 */
export function inputGuard(schema: z.ZodType): (input: unknown) => void {
  const datePaths = dateFieldPaths(schema);
  return function guardInput(input) {
    rejectUnsafeText(input);
    const errors: FieldError[] = [];
    for (const path of datePaths) {
      for (const [where, value] of valuesAt(input, path, [])) {
        if (typeof value === 'string' && !isDateWithinBounds(value)) {
          errors.push({
            path: where.join('.'),
            message: `must lie between ${DATE_INPUT_BOUNDS.min.slice(0, 10)} and ${DATE_INPUT_BOUNDS.max.slice(0, 10)}`,
          });
        }
      }
    }
    if (errors.length > 0) throw platformErrors.validation(errors, 'A date is out of range.');
  };
}

function valuesAt(value: unknown, path: string[], at: string[]): [string[], unknown][] {
  if (path.length === 0) return value === undefined ? [] : [[at, value]];
  if (value === null || typeof value !== 'object') return [];
  const [head, ...rest] = path as [string, ...string[]];
  if (head === '*')
    return Array.isArray(value) ? value.flatMap((item, i) => valuesAt(item, rest, [...at, String(i)])) : [];
  return valuesAt((value as Record<string, unknown>)[head], rest, [...at, head]);
}
