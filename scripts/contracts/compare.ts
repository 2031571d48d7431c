import type { ContractSnapshot, EventSnapshot, OpenApiSnapshot, OpSnapshot } from './describe.ts';
import { canonical, type Change, diffSchemas } from './schema-diff.ts';

/** The verdict on one versioned unit (a contract, or "openapi" for the routes no contract owns). */
export interface Verdict {
  unit: string;
  before: string | undefined;
  after: string | undefined;
  changes: Change[];
  /** Why the version does not fit the changes; undefined when it does. */
  problem: string | undefined;
}

const AUTH_RANK: Record<string, number> = { none: 0, optional: 1, required: 2 };

/** The changes from one release of a contract to the current one. */
export function diffContract(before: ContractSnapshot, after: ContractSnapshot): Change[] {
  const changes: Change[] = [];
  const name = after.name;
  for (const [key, op] of Object.entries(before.ops)) {
    const next = after.ops[key];
    if (!next) changes.push({ path: `${name}.${key}`, kind: 'opRemoved', breaking: true });
    else changes.push(...diffOp(`${name}.${key}`, op, next));
  }
  for (const key of Object.keys(after.ops))
    if (!before.ops[key]) changes.push({ path: `${name}.${key}`, kind: 'opAdded', breaking: false });
  for (const [key, event] of Object.entries(before.events)) {
    const next = after.events[key];
    if (!next) changes.push({ path: `${name}.${key}`, kind: 'eventRemoved', breaking: true });
    else changes.push(...diffEvent(`${name}.${key}`, event, next));
  }
  for (const key of Object.keys(after.events))
    if (!before.events[key]) changes.push({ path: `${name}.${key}`, kind: 'eventAdded', breaking: false });
  return changes;
}

function diffOp(path: string, before: OpSnapshot, after: OpSnapshot): Change[] {
  const changes: Change[] = [];
  if (before.kind !== after.kind) changes.push({ path, kind: 'opKindChanged', breaking: true });
  changes.push(...diffSchemas(before.input, after.input, { path: `${path} input`, reader: 'server' }));
  changes.push(...diffSchemas(before.output, after.output, { path: `${path} output`, reader: 'client' }));
  for (const [code, status] of Object.entries(before.errors)) {
    const next = after.errors[code];
    if (next === undefined) changes.push({ path: `${path} errors.${code}`, kind: 'errorRemoved', breaking: false });
    else if (next !== status)
      changes.push({ path: `${path} errors.${code}`, kind: 'errorStatusChanged', breaking: true });
  }
  for (const code of Object.keys(after.errors))
    if (before.errors[code] === undefined)
      changes.push({ path: `${path} errors.${code}`, kind: 'errorAdded', breaking: false });
  const a = before.http;
  const b = after.http;
  if (a && !b) changes.push({ path, kind: 'routeRemoved', breaking: true });
  else if (!a && b) changes.push({ path, kind: 'routeAdded', breaking: false });
  else if (a && b) {
    if (a.method !== b.method || a.path !== b.path)
      changes.push({ path: `${path} ${a.method.toUpperCase()} ${a.path}`, kind: 'routeMoved', breaking: true });
    if (a.status !== b.status) changes.push({ path: `${path} http.status`, kind: 'statusChanged', breaking: true });
    if (a.auth !== b.auth) {
      const tighter = AUTH_RANK[b.auth]! > AUTH_RANK[a.auth]!;
      changes.push({ path: `${path} http.auth`, kind: tighter ? 'authTightened' : 'authLoosened', breaking: tighter });
    }
    if (!a.deprecated && b.deprecated) changes.push({ path, kind: 'deprecated', breaking: false });
  }
  return changes;
}

function diffEvent(path: string, before: EventSnapshot, after: EventSnapshot): Change[] {
  const changes: Change[] = [];
  if (after.version < before.version) changes.push({ path, kind: 'eventVersionDecreased', breaking: true });
  if (after.version > before.version) {
    changes.push({ path, kind: 'eventVersionBumped', breaking: false });
    // Consumers must still read what older processes publish.
    for (let v = before.version; v < after.version; v++)
      if (!after.upcastsFrom.includes(v))
        changes.push({ path: `${path} v${v}`, kind: 'upcasterMissing', breaking: true });
  }
  changes.push(...diffSchemas(before.payload, after.payload, { path: `${path} payload`, reader: 'client' }));
  return changes;
}

interface OpenApiOperation {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
  deprecated?: boolean;
}
type Paths = Record<string, Record<string, OpenApiOperation>>;

/**
 * The changes between two OpenAPI documents, by route; each change is owned by the contract
 * whose op the route serves (its operationId), or by "openapi" for the other routes.
 */
export function diffOpenApi(before: OpenApiSnapshot, after: OpenApiSnapshot): { owner: string; change: Change }[] {
  const out: { owner: string; change: Change }[] = [];
  const docA = before.document as { paths?: Paths };
  const docB = after.document as { paths?: Paths };
  const pathsA = docA.paths ?? {};
  const pathsB = docB.paths ?? {};
  const ownerOf = (op: OpenApiOperation | undefined) => op?.operationId?.split('.')[0] ?? 'openapi';
  const schemaDiff = (a: unknown, b: unknown, path: string, reader: 'server' | 'client') =>
    diffSchemas(a, b, { path, reader, rootBefore: docA, rootAfter: docB });
  for (const [route, methods] of Object.entries(pathsA)) {
    for (const [method, opA] of Object.entries(methods)) {
      const opB = pathsB[route]?.[method];
      const where = `openapi ${method.toUpperCase()} ${route}`;
      const owner = ownerOf(opA);
      const add = (changes: Change[]) => {
        for (const change of changes) out.push({ owner, change });
      };
      if (!opB) {
        add([{ path: where, kind: 'routeRemoved', breaking: true }]);
        continue;
      }
      add(diffParameters(opA, opB, where, schemaDiff));
      const bodyA = opA.requestBody?.content?.['application/json']?.schema;
      const bodyB = opB.requestBody?.content?.['application/json']?.schema;
      if (bodyA && bodyB) add(schemaDiff(bodyA, bodyB, `${where} body`, 'server'));
      else if (!bodyA && bodyB && opB.requestBody?.required)
        add([{ path: `${where} body`, kind: 'requiredInputAdded', breaking: true }]);
      for (const [status, response] of Object.entries(opA.responses ?? {})) {
        const next = opB.responses?.[status];
        const success = status.startsWith('2');
        if (!next) {
          add([{ path: `${where} ${status}`, kind: 'responseRemoved', breaking: success }]);
          continue;
        }
        const typeA = response.content && Object.keys(response.content)[0];
        const schemaA = typeA ? response.content?.[typeA]?.schema : undefined;
        const schemaB = typeA ? next.content?.[typeA]?.schema : undefined;
        if (schemaA && schemaB) add(schemaDiff(schemaA, schemaB, `${where} ${status}`, 'client'));
        else if (schemaA && !schemaB) add([{ path: `${where} ${status}`, kind: 'contentChanged', breaking: true }]);
      }
      for (const status of Object.keys(opB.responses ?? {}))
        if (!opA.responses?.[status]) add([{ path: `${where} ${status}`, kind: 'responseAdded', breaking: false }]);
      if (!opA.security?.length && opB.security?.length) add([{ path: where, kind: 'authTightened', breaking: true }]);
      if (!opA.deprecated && opB.deprecated) add([{ path: where, kind: 'deprecated', breaking: false }]);
    }
  }
  for (const [route, methods] of Object.entries(pathsB))
    for (const [method, op] of Object.entries(methods))
      if (!pathsA[route]?.[method])
        out.push({
          owner: ownerOf(op),
          change: { path: `openapi ${method.toUpperCase()} ${route}`, kind: 'routeAdded', breaking: false },
        });
  return out;
}

function diffParameters(
  a: OpenApiOperation,
  b: OpenApiOperation,
  where: string,
  schemaDiff: (a: unknown, b: unknown, path: string, reader: 'server' | 'client') => Change[],
): Change[] {
  const changes: Change[] = [];
  const key = (p: { name: string; in: string }) => `${p.in}.${p.name}`;
  const paramsB = new Map((b.parameters ?? []).map((p) => [key(p), p]));
  const paramsA = new Map((a.parameters ?? []).map((p) => [key(p), p]));
  for (const [k, p] of paramsA) {
    const next = paramsB.get(k);
    if (!next) changes.push({ path: `${where} ${k}`, kind: 'parameterRemoved', breaking: true });
    else {
      if (!p.required && next.required) changes.push({ path: `${where} ${k}`, kind: 'becameRequired', breaking: true });
      if (p.required && !next.required)
        changes.push({ path: `${where} ${k}`, kind: 'becameOptional', breaking: false });
      changes.push(...schemaDiff(p.schema ?? {}, next.schema ?? {}, `${where} ${k}`, 'server'));
    }
  }
  for (const [k, p] of paramsB)
    if (!paramsA.has(k))
      changes.push({
        path: `${where} ${k}`,
        kind: p.required ? 'requiredInputAdded' : 'optionalInputAdded',
        breaking: p.required === true,
      });
  return changes;
}

/** Whether `after` (major.minor or semver) is a fitting version for the changes since `before`. */
export function judge(unit: string, before: string | undefined, after: string | undefined, changes: Change[]): Verdict {
  const verdict = (problem: string | undefined): Verdict => ({ unit, before, after, changes, problem });
  if (before === undefined || after === undefined) return verdict(undefined);
  const [majorA, minorA] = parseVersion(before);
  const [majorB, minorB] = parseVersion(after);
  if (majorB < majorA || (majorB === majorA && minorB < minorA))
    return verdict(`version went down from ${before} to ${after}`);
  const breaking = changes.filter((c) => c.breaking);
  if (breaking.length > 0 && majorB === majorA)
    return verdict(`${breaking.length} breaking change(s) need a major version bump (now ${after}, was ${before})`);
  if (changes.length > 0 && majorB === majorA && minorB === minorA)
    return verdict(`${changes.length} change(s) need at least a minor version bump (still ${after})`);
  return verdict(undefined);
}

function parseVersion(version: string): [number, number] {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return [major, minor];
}

/** Judges a current release against the committed one: one verdict per contract, and one for openapi. */
export function checkRelease(
  committed: { contracts: ContractSnapshot[]; openapi: OpenApiSnapshot | undefined },
  current: { contracts: ContractSnapshot[]; openapi: OpenApiSnapshot },
): Verdict[] {
  const changesOf = new Map<string, Change[]>();
  const push = (unit: string, changes: Change[]) => changesOf.set(unit, [...(changesOf.get(unit) ?? []), ...changes]);
  const beforeByName = new Map(committed.contracts.map((c) => [c.name, c]));
  const afterByName = new Map(current.contracts.map((c) => [c.name, c]));
  for (const [name, before] of beforeByName) {
    const after = afterByName.get(name);
    push(name, after ? diffContract(before, after) : [{ path: name, kind: 'contractRemoved', breaking: true }]);
  }
  for (const name of afterByName.keys())
    if (!beforeByName.has(name)) push(name, [{ path: name, kind: 'contractAdded', breaking: false }]);
  if (committed.openapi) {
    for (const { owner, change } of diffOpenApi(committed.openapi, current.openapi)) {
      push(afterByName.has(owner) || beforeByName.has(owner) ? owner : 'openapi', [change]);
    }
  }
  const units = new Set([...beforeByName.keys(), ...afterByName.keys(), 'openapi']);
  return [...units].map((unit) => {
    const changes = dedupe(changesOf.get(unit) ?? []);
    if (unit === 'openapi') return judge(unit, committed.openapi?.version, current.openapi.version, changes);
    return judge(unit, beforeByName.get(unit)?.version, afterByName.get(unit)?.version, changes);
  });
}

function dedupe(changes: Change[]): Change[] {
  const seen = new Set<string>();
  return changes.filter((c) => {
    const key = canonical(c);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
