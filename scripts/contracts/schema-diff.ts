/**
 * Compatibility diff of two JSON Schemas (zod's z.toJSONSchema or an OpenAPI document's).
 * Which changes break depends on who reads the data: a server reads requests (narrowing
 * what it accepts breaks old callers), a client reads responses and events (widening what
 * it may receive, or dropping a field, breaks old readers).
 */

/** One named change: where (a dotted path) and what kind. */
export interface Change {
  path: string;
  kind: string;
  breaking: boolean;
}

/** Who parses the data the schema describes. */
export type Reader = 'server' | 'client';

type Schema = Record<string, unknown>;

/** Keys that document a schema without constraining it. */
const DOC_KEYS = new Set(['description', 'title', 'examples', 'example', '$schema', 'id', '$id', '$defs', 'default']);
const HANDLED_KEYS = new Set([
  ...DOC_KEYS,
  '$ref',
  'anyOf',
  'oneOf',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'pattern',
  'format',
  'deprecated',
]);
/** A larger value accepts less. */
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems'] as const;
/** A smaller value accepts less. */
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems'] as const;

/**
 * A copy of a schema with its local $refs (#/$defs/X, #/components/schemas/X) replaced by
 * their targets in `root`, so a change inside a shared definition shows where it is used.
 * A recursive reference is left as a $ref.
 */
export function inlineRefs(schema: unknown, root: unknown, open: readonly string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inlineRefs(s, root, open));
  if (!schema || typeof schema !== 'object') return schema;
  const { $ref, ...rest } = schema as Schema;
  let merged: Schema = rest;
  let opened = open;
  if (typeof $ref === 'string' && $ref.startsWith('#/') && !open.includes($ref)) {
    let target: unknown = root;
    for (const part of $ref.slice(2).split('/')) target = (target as Record<string, unknown> | undefined)?.[part];
    if (target && typeof target === 'object') {
      merged = { ...(target as Schema), ...rest };
      opened = [...open, $ref];
    } else merged = schema as Schema;
  } else if ($ref !== undefined) merged = schema as Schema;
  return Object.fromEntries(
    Object.entries(merged)
      .filter(([k]) => k !== '$defs')
      .map(([k, v]) => [k, inlineRefs(v, root, opened)]),
  );
}

/** Canonical JSON (sorted keys) for equality checks. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** A copy with every object's keys in sorted order, so snapshots diff line by line. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** The changes from `before` to `after` of one schema, read by `reader`. */
export function diffSchemas(
  before: unknown,
  after: unknown,
  options: { path: string; reader: Reader; rootBefore?: unknown; rootAfter?: unknown },
): Change[] {
  const changes: Change[] = [];
  const { reader } = options;
  /** A change that lets less through breaks a server-side reader; one that lets more through, a client. */
  const narrowed = (path: string, kind: string) => changes.push({ path, kind, breaking: reader === 'server' });
  const widened = (path: string, kind: string) => changes.push({ path, kind, breaking: reader === 'client' });

  const walk = (a: Schema, b: Schema, path: string): void => {
    if (canonical(withoutDocs(a)) === canonical(withoutDocs(b))) {
      if (canonical(a.default) !== canonical(b.default))
        changes.push({ path, kind: 'defaultChanged', breaking: false });
      return;
    }
    const branchesA = branches(a);
    const branchesB = branches(b);
    if (branchesA.length > 1 || branchesB.length > 1) {
      walkUnion(branchesA, branchesB, path);
      return;
    }

    compareTypes(a, b, path);
    compareValues(a, b, path);
    compareBounds(a, b, path);
    if (a.properties || b.properties) compareProperties(a, b, path);
    if (a.items && b.items) walk(a.items as Schema, b.items as Schema, `${path}[]`);
    if (a.deprecated !== b.deprecated && b.deprecated === true)
      changes.push({ path, kind: 'deprecated', breaking: false });
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (HANDLED_KEYS.has(k) || canonical(a[k]) === canonical(b[k])) continue;
      changes.push({ path, kind: `${k}Changed`, breaking: true });
    }
  };

  const walkUnion = (a: Schema[], b: Schema[], path: string) => {
    const unmatchedB = new Set(b.map((_, i) => i));
    const unmatchedA: Schema[] = [];
    for (const branch of a) {
      const same = [...unmatchedB].find((i) => canonical(withoutDocs(b[i]!)) === canonical(withoutDocs(branch)));
      if (same === undefined) unmatchedA.push(branch);
      else unmatchedB.delete(same);
    }
    const restB = [...unmatchedB].map((i) => b[i]!);
    // Branches of one type are taken for the same branch, changed; the rest were removed or added.
    for (const branch of unmatchedA) {
      const partner = restB.findIndex((other) => typeKey(other) === typeKey(branch));
      if (partner >= 0) {
        walk(branch, restB[partner]!, path);
        restB.splice(partner, 1);
      } else narrowed(path, 'variantRemoved');
    }
    for (const _ of restB) widened(path, 'variantAdded');
  };

  const compareTypes = (a: Schema, b: Schema, path: string) => {
    const ta = typesOf(a);
    const tb = typesOf(b);
    if (!ta || !tb) {
      if (ta && !tb) widened(path, 'typeWidened');
      if (!ta && tb) narrowed(path, 'typeNarrowed');
      return;
    }
    const accepts = (types: Set<string>, t: string) => types.has(t) || (t === 'integer' && types.has('number'));
    if ([...ta].some((t) => !accepts(tb, t))) narrowed(path, 'typeNarrowed');
    if ([...tb].some((t) => !accepts(ta, t))) widened(path, 'typeWidened');
  };

  const compareValues = (a: Schema, b: Schema, path: string) => {
    const va = valuesOf(a);
    const vb = valuesOf(b);
    if (!va && !vb) return;
    if (!va) return narrowed(path, 'enumRestricted');
    if (!vb) return widened(path, 'enumLifted');
    for (const value of va) if (!vb.has(value)) narrowed(`${path}=${value}`, 'enumValueRemoved');
    for (const value of vb) if (!va.has(value)) widened(`${path}=${value}`, 'enumValueAdded');
  };

  const compareBounds = (a: Schema, b: Schema, path: string) => {
    const bound = (keys: readonly string[], stricter: (x: number, y: number) => boolean) => {
      for (const k of keys) {
        const x = a[k] as number | undefined;
        const y = b[k] as number | undefined;
        if (x === y) continue;
        if (x === undefined || (y !== undefined && stricter(y, x))) narrowed(`${path}@${k}`, 'constraintTightened');
        else widened(`${path}@${k}`, 'constraintLoosened');
      }
    };
    bound(LOWER_BOUNDS, (y, x) => y > x);
    bound(UPPER_BOUNDS, (y, x) => y < x);
    for (const k of ['pattern', 'format']) {
      if (a[k] === b[k]) continue;
      if (b[k] === undefined) widened(`${path}@${k}`, 'constraintLoosened');
      else narrowed(`${path}@${k}`, 'constraintTightened');
    }
  };

  const compareProperties = (a: Schema, b: Schema, path: string) => {
    const pa = (a.properties ?? {}) as Record<string, Schema>;
    const pb = (b.properties ?? {}) as Record<string, Schema>;
    const ra = new Set((a.required ?? []) as string[]);
    const rb = new Set((b.required ?? []) as string[]);
    const at = (name: string) => (path ? `${path}.${name}` : name);
    for (const name of Object.keys(pa)) {
      if (!(name in pb)) {
        // A server that rejects unknown fields refuses what old callers still send.
        if (reader === 'client') changes.push({ path: at(name), kind: 'fieldRemoved', breaking: true });
        else changes.push({ path: at(name), kind: 'inputFieldRemoved', breaking: b.additionalProperties === false });
        continue;
      }
      if (ra.has(name) && !rb.has(name))
        changes.push({ path: at(name), kind: 'becameOptional', breaking: reader === 'client' });
      if (!ra.has(name) && rb.has(name))
        changes.push({ path: at(name), kind: 'becameRequired', breaking: reader === 'server' });
      walk(pa[name]!, pb[name]!, at(name));
    }
    for (const name of Object.keys(pb)) {
      if (name in pa) continue;
      if (reader === 'server')
        changes.push(
          rb.has(name)
            ? { path: at(name), kind: 'requiredInputAdded', breaking: true }
            : { path: at(name), kind: 'optionalInputAdded', breaking: false },
        );
      else changes.push({ path: at(name), kind: rb.has(name) ? 'fieldAdded' : 'optionalFieldAdded', breaking: false });
    }
    // Outputs gain fields freely (readers ignore unknown ones); a server's unknown-field policy is a contract.
    if (reader === 'server' && (a.additionalProperties === false) !== (b.additionalProperties === false)) {
      if (b.additionalProperties === false) narrowed(path, 'unknownFieldsRefused');
      else widened(path, 'unknownFieldsAccepted');
    }
  };

  walk(
    inlineRefs(before, options.rootBefore ?? before) as Schema,
    inlineRefs(after, options.rootAfter ?? after) as Schema,
    options.path,
  );
  return changes;
}

function withoutDocs(schema: Schema): Schema {
  return Object.fromEntries(Object.entries(schema).filter(([k]) => !DOC_KEYS.has(k)));
}

function branches(schema: Schema): Schema[] {
  const list = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (!list) return [schema];
  const { anyOf: _a, oneOf: _o, ...rest } = schema;
  return list.map((branch) => ({ ...rest, ...branch }));
}

function typesOf(schema: Schema): Set<string> | undefined {
  if (schema.type === undefined) return undefined;
  return new Set(Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string]);
}

function typeKey(schema: Schema): string {
  return [...(typesOf(schema) ?? [])].sort().join('|') || 'any';
}

function valuesOf(schema: Schema): Set<string> | undefined {
  if (Array.isArray(schema.enum)) return new Set(schema.enum.map((v) => JSON.stringify(v)));
  if ('const' in schema) return new Set([JSON.stringify(schema.const)]);
  return undefined;
}
