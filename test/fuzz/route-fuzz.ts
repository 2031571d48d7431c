/**
 * A property-based fuzz of every public route of a running deployment: requests generated
 * from its own OpenAPI document (the contracts' zod schemas), valid and mutated, sent as the
 * owner of the fixtures, another user, an admin, anonymously and with a forged token. Pass:
 * no 5xx, every 4xx is problem+json with a stable code and no stack trace.
 */
import fc from 'fast-check';
import { apiClient } from '../support/api-client.ts';
import { drill } from '../support/fixtures.ts';
import { type Components, type Hints, type JsonSchema, mutatedArbitrary, validArbitrary } from './schema-arbitrary.ts';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}

/** One public route as the OpenAPI document describes it. */
export interface Operation {
  id: string;
  method: string;
  path: string;
  parameters: Parameter[];
  body: JsonSchema | undefined;
  authenticated: boolean;
  stream: boolean;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        parameters?: Parameter[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        security?: unknown[];
        responses: Record<string, { content?: Record<string, unknown> }>;
      }
    >
  >;
  components?: { schemas?: Components };
}

/** Every operation of the document. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      id: op.operationId,
      method: method.toUpperCase(),
      path,
      parameters: op.parameters ?? [],
      body: op.requestBody?.content['application/json']?.schema,
      authenticated: (op.security?.length ?? 0) > 0,
      stream: Boolean(op.responses['200']?.content?.['text/event-stream']),
    })),
  );
}

export const callerKinds = ['owner', 'other', 'admin', 'anonymous', 'forged'] as const;
export type CallerKind = (typeof callerKinds)[number];

/** One generated request, before it is encoded. */
export interface FuzzRequest {
  op: Operation;
  caller: CallerKind;
  mutated: boolean;
  input: {
    path?: Record<string, unknown>;
    query?: Record<string, unknown>;
    header?: Record<string, unknown>;
    body?: unknown;
  };
}

/** The users and resources requests are made as and about. */
export interface FuzzWorld {
  baseUrl: string;
  tokens: Record<'owner' | 'other' | 'admin', string>;
  /** Logs a caller in again (after the fuzz logged it out). */
  relogin(caller: 'owner' | 'other' | 'admin'): Promise<void>;
  /** Ids that exist (items, rentals, a sacrificial user) for path parameters. */
  ids: string[];
}

const objectSchema = (properties: Record<string, JsonSchema>, required: string[]): JsonSchema => ({
  type: 'object',
  properties,
  required,
});

/** A parameter's schema without `null`: a query string or header cannot say null, only "null". */
function withoutNull(schema: JsonSchema): JsonSchema {
  if (Array.isArray(schema.type)) return { ...schema, type: schema.type.filter((t) => t !== 'null') };
  return schema;
}

/** Business-valid values the schemas cannot express: currencies payments accepts, ids that exist. */
function hintsFor(world: FuzzWorld): Hints {
  const existing = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...world.ids) },
    { weight: 1, arbitrary: fc.uuid({ version: 4 }) },
  );
  return { currency: fc.constantFrom('EUR', 'EUR', 'EUR', 'USD'), itemId: existing, ownerId: existing };
}

const DAY = 86_400_000;

/** Periods the rules accept more often than not: the end a few days after the start. */
function plausiblePeriods(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = { ...(value as Record<string, unknown>) };
  for (const [start, end] of [
    ['from', 'to'],
    ['availableFrom', 'availableTo'],
  ] as const) {
    const from = Date.parse(String(record[start]));
    if (Number.isFinite(from) && typeof record[end] === 'string') {
      const to = new Date(from + (1 + (from % 7)) * DAY).toISOString();
      record[end] = String(record[start]).length === 10 ? to.slice(0, 10) : to;
    }
  }
  return record;
}

/** Requests for one operation: valid (ids from the world where one is expected) or mutated. */
export function requestArbitrary(
  op: Operation,
  world: FuzzWorld,
  components: Components,
  options: { caller?: CallerKind; mutated?: boolean } = {},
): fc.Arbitrary<FuzzRequest> {
  const hints = hintsFor(world);
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const where of ['path', 'query', 'header'] as const) {
    const params = op.parameters.filter((p) => p.in === where);
    if (params.length === 0) continue;
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    for (const p of params) {
      shape[p.name] =
        p.schema.format === 'uuid' && where === 'path'
          ? hints.itemId!
          : (hints[p.name] ?? validArbitrary(withoutNull(p.schema), components, hints));
    }
    parts[where] = fc
      .record(shape, { requiredKeys: params.filter((p) => p.required).map((p) => p.name) })
      .map(plausiblePeriods);
    required.push(where);
  }
  if (op.body) {
    parts.body = validArbitrary(op.body, components, hints).map(plausiblePeriods);
    required.push('body');
  }
  const valid = fc.record(parts, { requiredKeys: required }) as fc.Arbitrary<FuzzRequest['input']>;
  const mutated =
    op.parameters.length > 0 || op.body ? (mutatedArbitrary(valid) as fc.Arbitrary<FuzzRequest['input']>) : valid;
  const caller = options.caller ? fc.constant(options.caller) : fc.constantFrom(...callerKinds);
  const isMutated = options.mutated === undefined ? fc.boolean() : fc.constant(options.mutated);
  return fc
    .tuple(caller, isMutated)
    .chain(([who, bad]) =>
      (bad ? mutated : valid).map((input) => ({ op, caller: who, mutated: bad, input: normalizeInput(input) })),
    );
}

/** A mutation may have replaced a whole part by a scalar: keep parts that must be objects as objects. */
function normalizeInput(input: unknown): FuzzRequest['input'] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return {};
  const parts = input as Record<string, unknown>;
  const record = (v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  return {
    ...(record(parts.path) ? { path: record(parts.path)! } : {}),
    ...(record(parts.query) ? { query: record(parts.query)! } : {}),
    ...(record(parts.header) ? { header: record(parts.header)! } : {}),
    ...('body' in parts ? { body: parts.body } : {}),
  };
}

/** Percent-encodes any string, lone surrogates included (as the bytes a sloppy client would send). */
function encode(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return [...text]
    .map((ch) => (/[\ud800-\udfff]/.test(ch) && ch.length === 1 ? '%ED%A0%80' : encodeURIComponent(ch)))
    .join('');
}

const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/** What one request got back, and whether it broke the pass condition. */
export interface FuzzOutcome {
  request: FuzzRequest;
  url: string;
  status: number;
  problem?: string;
  /** The start of the response body, for reports. */
  reply?: string;
  /** How many 503/504 answers came before this one (the service was briefly unavailable). */
  transient?: number;
}

const STACK = /\n\s+at |node_modules|\.ts:\d+|\.js:\d+|Error:/;
const PROBLEM_CODE = /^[a-z][A-Za-z]*(\.[a-z][A-Za-z]*)?$/;

/** A busy machine can make a service briefly unavailable; a deterministic 5xx stays, so 503/504 are tried again. */
const TRANSIENT_RETRIES = 3;

/**
 * Sends one request and judges its response. A 503 or 504 is sent again (up to three times,
 * a second apart) and judged by the last answer; `transient` counts those that then passed.
 */
export async function send(world: FuzzWorld, request: FuzzRequest): Promise<FuzzOutcome> {
  let outcome = await sendOnce(world, request);
  for (let attempt = 0; attempt < TRANSIENT_RETRIES && (outcome.status === 503 || outcome.status === 504); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const again = await sendOnce(world, request);
    outcome = { ...again, transient: (outcome.transient ?? 0) + 1 };
  }
  return outcome;
}

async function sendOnce(world: FuzzWorld, request: FuzzRequest): Promise<FuzzOutcome> {
  const { op, input } = request;
  let path = op.path;
  for (const p of op.parameters.filter((x) => x.in === 'path'))
    path = path.replace(`{${p.name}}`, encode(input.path?.[p.name] ?? ''));
  const queryParts: string[] = [];
  for (const [key, value] of Object.entries(input.query ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) queryParts.push(`${encode(key)}=${encode(v)}`);
  }
  const url = `${world.baseUrl}${path}${queryParts.length > 0 ? `?${queryParts.join('&')}` : ''}`;
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.header ?? {})) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (text !== undefined && HEADER_VALUE.test(text) && text.length < 8_000) headers[key] = text;
  }
  if (request.caller === 'forged') headers.authorization = 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
  else if (request.caller !== 'anonymous') headers.authorization = `Bearer ${world.tokens[request.caller]}`;
  let body: string | undefined;
  if (op.body && 'body' in input && input.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(input.body);
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 20_000);
  try {
    const response = await fetch(url, {
      method: op.method,
      headers,
      signal: controller.signal,
      ...(body === undefined ? {} : { body }),
    });
    if (op.stream && response.status === 200) {
      controller.abort();
      return { request, url, status: 200 };
    }
    const text = await response.text();
    const outcome: FuzzOutcome = { request, url, status: response.status, reply: text.slice(0, 400) };
    const broken = judge(response.status, response.headers.get('content-type'), text);
    if (broken) outcome.problem = `${broken}: ${text.slice(0, 300)}`;
    await afterEffects(world, request, response.status);
    return outcome;
  } catch (error) {
    return { request, url, status: 0, problem: `no answer: ${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Why a response breaks the pass condition, if it does. */
function judge(status: number, contentType: string | null, text: string): string | undefined {
  if (status >= 500) return `${status}`;
  if (status < 400) return undefined;
  if (contentType !== 'application/problem+json') return `${status} without problem+json (${contentType})`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `${status} with a body that is not JSON`;
  }
  if (typeof body.code !== 'string' || !PROBLEM_CODE.test(body.code)) return `${status} without a stable code`;
  if (body.status !== status) return `${status} whose problem says ${String(body.status)}`;
  if (STACK.test(text)) return `${status} with a stack trace or internals`;
  return undefined;
}

/** Keeps the callers usable: a logout (or a revoked session) is followed by a new login. */
async function afterEffects(world: FuzzWorld, request: FuzzRequest, status: number): Promise<void> {
  if (request.caller === 'anonymous' || request.caller === 'forged') return;
  const loggedOut = request.op.id === 'identity.logout' && status === 204;
  if (loggedOut || (status === 401 && request.op.authenticated)) await world.relogin(request.caller);
}

/** Registers the fuzz's users (the admin comes from ADMIN_EMAIL), an item, a top-up and a rental. */
export async function buildWorld(baseUrl: string, admin: { email: string; password: string }): Promise<FuzzWorld> {
  const api = apiClient(baseUrl);
  const owner = await api.newUser('fuzz-owner');
  const other = await api.newUser('fuzz-other');
  const victim = await api.newUser('fuzz-victim');
  const credentials = {
    owner: { email: owner.email, password: owner.password },
    other: { email: other.email, password: other.password },
    admin,
  };
  const login = async (who: keyof typeof credentials) => {
    const response = await api.request('POST', '/v1/auth/login', { body: credentials[who] });
    if (response.status !== 200)
      throw new Error(`fuzz: ${who} cannot log in: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.accessToken as string;
  };
  const tokens = { owner: owner.accessToken, other: other.accessToken, admin: await login('admin') };
  const item = await api.request('POST', '/v1/items', { token: tokens.owner, body: drill({ title: 'Fuzz drill' }) });
  if (item.status !== 201) throw new Error(`fuzz: item not created: ${JSON.stringify(item.body)}`);
  const topUp = await api.request('POST', '/v1/wallet/top-ups', {
    token: tokens.other,
    body: { amount: 1_000_000, currency: 'EUR' },
  });
  if (topUp.status >= 300) throw new Error(`fuzz: top-up failed: ${JSON.stringify(topUp.body)}`);
  const day = 86_400_000;
  const rental = await api.request('POST', '/v1/rentals', {
    token: tokens.other,
    body: {
      itemId: item.body.id,
      from: new Date(Date.now() + 2 * day).toISOString(),
      to: new Date(Date.now() + 3 * day).toISOString(),
    },
  });
  if (rental.status >= 300) throw new Error(`fuzz: rental failed: ${JSON.stringify(rental.body)}`);
  return {
    baseUrl,
    tokens,
    ids: [item.body.id, rental.body.id, victim.id],
    async relogin(who) {
      tokens[who] = await login(who);
    },
  };
}
