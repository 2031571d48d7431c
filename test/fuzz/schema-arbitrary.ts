/**
 * fast-check arbitraries from the JSON Schemas of the OpenAPI document, which the platform
 * derives from the contracts' zod schemas (zod-fast-check does not support zod 4): valid
 * values, and the same values mutated with the inputs a probe would send.
 */
import fc from 'fast-check';

/** A JSON Schema node as the OpenAPI 3.1 document writes it. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
}

export type Components = Record<string, JsonSchema>;

const DAY = 86_400_000;
/** Valid dates cluster around now: the platform's rules (rentals start in the future, within a year) live there. */
const nearNow = () => fc.integer({ min: -30, max: 400 }).map((days) => new Date(Date.now() + days * DAY + 3_600_000));

function resolve(schema: JsonSchema, components: Components): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = components[name];
  if (!target) throw new Error(`unknown $ref ${schema.$ref}`);
  return resolve(target, components);
}

function stringOf(schema: JsonSchema): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'uuid':
      return fc.uuid({ version: 4 });
    case 'email':
      return fc
        .tuple(fc.stringMatching(/^[a-z][a-z0-9]{2,12}$/), fc.constantFrom('example.test', 'mail.example.org'))
        .map(([name, domain]) => `${name}@${domain}`);
    case 'date-time':
      return nearNow().map((d) => d.toISOString());
    case 'date':
      return nearNow().map((d) => d.toISOString().slice(0, 10));
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? minLength + 24, minLength + 24);
  if (schema.pattern) {
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
  }
  return fc.string({ minLength, maxLength, unit: 'grapheme' }).filter((s) => s.trim().length >= Math.min(minLength, 1));
}

function numberOf(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min =
    schema.minimum ??
    (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : 1e-6) : -1_000_000);
  const max =
    schema.maximum ??
    (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (integer ? 1 : 1e-6) : 1_000_000);
  const low = Math.max(min, Number.MIN_SAFE_INTEGER);
  const high = Math.min(max, Number.MAX_SAFE_INTEGER);
  return integer
    ? fc.oneof(
        fc.integer({ min: Math.ceil(low), max: Math.floor(Math.min(high, low + 100_000)) }),
        fc.constantFrom(Math.ceil(low), Math.floor(high)),
      )
    : fc.double({ min: low, max: high, noNaN: true, noDefaultInfinity: true });
}

/** Arbitraries for properties by name, where the business wants more than the schema says (a known currency, an existing id). */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

/** Values that satisfy the schema (as far as JSON Schema says: refinements may still refuse some). */
export function validArbitrary(schema: JsonSchema, components: Components, hints: Hints = {}): fc.Arbitrary<unknown> {
  const node = resolve(schema, components);
  if (node.const !== undefined) return fc.constant(node.const);
  if (node.enum) return fc.constantFrom(...node.enum);
  const branches = node.anyOf ?? node.oneOf;
  if (branches) return fc.oneof(...branches.map((b) => validArbitrary(b, components, hints)));
  if (node.allOf?.length) return validArbitrary(node.allOf[0]!, components, hints);
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  const nonNull = types.filter((t) => t !== 'null');
  const typed =
    nonNull.length > 0 ? fc.oneof(...nonNull.map((t) => ofType(node, t, components, hints))) : fc.jsonValue();
  return types.includes('null') ? fc.option(typed, { nil: null, freq: 5 }) : typed;
}

function ofType(node: JsonSchema, type: string, components: Components, hints: Hints): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return stringOf(node);
    case 'integer':
      return numberOf(node, true);
    case 'number':
      return numberOf(node, false);
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(node.items ? validArbitrary(node.items, components, hints) : fc.jsonValue(), {
        minLength: node.minItems ?? 0,
        maxLength: Math.min(node.maxItems ?? 3, 3),
      });
    case 'object': {
      const properties = node.properties ?? {};
      const record = Object.fromEntries(
        Object.entries(properties).map(([key, child]) => [key, hints[key] ?? validArbitrary(child, components, hints)]),
      );
      return fc.record(record, { requiredKeys: (node.required ?? []).filter((k) => k in properties) });
    }
    default:
      return fc.jsonValue();
  }
}

const NUL = 'a\u0000b';
const LONE_HIGH = 'x\ud800y';
const LONE_LOW = '\udc00';

/** What a probe sends instead of a valid value: wrong types, boundary numbers, odd text, extreme dates. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    0,
    -1,
    -0,
    0.5,
    2 ** 31,
    2 ** 53 + 2,
    -(2 ** 53) - 2,
    1e308,
    -1e308,
    Number.MIN_VALUE,
    '',
    ' ',
    NUL,
    '\u0000',
    LONE_HIGH,
    LONE_LOW,
    '\ud83d\ude00',
    'x'.repeat(70_000),
    'y'.repeat(5_000),
    '0000-01-01',
    '9999-12-31',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '+275760-09-13T00:00:00.000Z',
    '-000001-01-01T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-13-01',
    '1e400',
    'NaN',
    '-1',
    '00000000-0000-0000-0000-000000000000',
    "' OR 1=1 --",
    '../../etc/passwd',
    '<script>alert(1)</script>',
    '%00',
    '{"$gt":""}',
    [],
    [1, 'a', null],
    {},
    { nested: { deeper: [NUL] } },
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
);

type Json = unknown;

/** Every path to a value inside a JSON value (the root is []). */
function pathsOf(value: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      pathsOf(v, [...at, i], out);
    });
  } else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

function setAt(value: Json, path: (string | number)[], replacement: Json | typeof REMOVE): Json {
  if (path.length === 0) return replacement === REMOVE ? undefined : replacement;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(value)) {
    const copy = [...value];
    if (rest.length === 0 && replacement === REMOVE) copy.splice(Number(head), 1);
    else copy[Number(head)] = setAt(copy[Number(head)], rest, replacement);
    return copy;
  }
  const copy = { ...(value as Record<string, Json>) };
  if (rest.length === 0 && replacement === REMOVE) delete copy[head];
  else copy[head] = setAt(copy[head], rest, replacement);
  return copy;
}

const REMOVE = Symbol('remove');

const ODD_CHARACTERS = ['\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\uffff', '\u202e', '\ufeff'];
const EXTREME_DATES = [
  '0000-01-01',
  '9999-12-31',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '1000-06-15T12:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '1969-12-31T23:59:59Z',
  '2100-01-01T00:00:00Z',
];
const BOUNDARY_NUMBERS = [
  0,
  -1,
  1,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 53 - 1,
  2 ** 53 + 2,
  -(2 ** 53) - 2,
  1e308,
  -1e308,
  0.5,
  1e-9,
];

/** A value of the same type made hostile: odd characters in text, an extreme date, a boundary number. */
function taint(current: unknown, pick: number): unknown {
  if (typeof current === 'string') {
    if (/^[+-]?\d{4,6}-\d{2}-\d{2}/.test(current) && pick % 3 !== 0) return EXTREME_DATES[pick % EXTREME_DATES.length];
    const odd = ODD_CHARACTERS[pick % ODD_CHARACTERS.length]!;
    const at = current.length === 0 ? 0 : pick % (current.length + 1);
    return current.slice(0, at) + odd + current.slice(at);
  }
  if (typeof current === 'number') return BOUNDARY_NUMBERS[pick % BOUNDARY_NUMBERS.length];
  if (typeof current === 'boolean') return String(current);
  return undefined;
}

/**
 * A mutation of a valid value: one field made hostile in its own type (most often: that is
 * what gets past validation), replaced by any hostile value, removed, or an extra field added.
 */
export function mutatedArbitrary(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      valid,
      fc.nat(),
      fc.nat(),
      hostileValue,
      fc.constantFrom('taint', 'taint', 'taint', 'replace', 'replace', 'remove', 'extra'),
      fc.constantFrom('extra', '__proto__', 'constructor', 'role', 'ownerId', 'id', 'a\u0000'),
    )
    .map(([value, pick, detail, hostile, how, extraKey]) => {
      const paths = pathsOf(value);
      // Taints aim at leaves: the fields a handler and its database see.
      const leaves = paths.filter((p) => {
        const v = p.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
        return v === null || typeof v !== 'object';
      });
      const pool = how === 'taint' && leaves.length > 0 ? leaves : paths;
      const path = pool[pick % pool.length]!;
      if (how === 'remove' && path.length > 0) return setAt(value, path, REMOVE);
      if (how === 'extra' && value !== null && typeof value === 'object' && !Array.isArray(value))
        return { ...(value as object), [extraKey]: hostile };
      if (how === 'taint') {
        const current = path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
        const tainted = taint(current, detail);
        if (tainted !== undefined) return setAt(value, path, tainted);
      }
      return setAt(value, path, hostile);
    });
}
