import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Bus } from '../bus/bus.ts';
import type { CallContext, Caller } from '../bus/context.ts';
import { type AnyContract, exposureProblem, type HttpHint, type Op } from '../bus/contract.ts';
import { platformErrors } from '../bus/errors.ts';
import type { EvaluatedFlags } from '../flags/evaluated-flags.ts';
import type { App } from './app.ts';
import type { AppEnv } from './env.ts';
import { type IdempotentResponse, REPLAYED_HEADER } from './idempotency.ts';
import { idempotencyErrorKinds, idempotencyKeyHeaderSchema, parseIdempotencyKey } from './idempotency-key.ts';
import { bearerToken } from './bearer.ts';
import { deprecated } from './deprecation.ts';
import { inputGuard } from './input-guards.ts';
import { problemSchema, statusOfKind } from './problem.ts';
import { staleHeaders, type StaleFallback } from './stale-fallback.ts';

/** Resolves a bearer token to the caller it belongs to, or throws an unauthorized error. */
export type Authenticate = (token: string, ctx: CallContext) => Promise<Caller>;

export interface ContractRouteOptions {
  bus: Bus;
  authenticate: Authenticate;
  timeoutMs: number;
  /** Per-caller rate limits, run once the caller is authenticated. */
  limitCaller?: MiddlewareHandler<AppEnv>;
  /** Serves public GETs from their last good reply while their service is down. */
  staleFallback?: StaleFallback;
  /** Stores and replays responses by Idempotency-Key on ops whose hint sets idempotencyKey. */
  idempotency?: IdempotentResponse;
  /** Evaluates the feature flags once per request, for the authenticated caller (or none). */
  evaluateFlags?: (caller: Caller | undefined) => Promise<EvaluatedFlags>;
}

/** The CallContext of an anonymous HTTP request: its request id, trace and deadline. */
export function requestCallContext(c: Context<AppEnv>, timeoutMs: number): CallContext {
  return { requestId: c.get('requestId'), trace: c.get('trace'), deadline: Date.now() + timeoutMs };
}

/** Builds the CallContext of an HTTP request, authenticating its bearer token as the op asks. */
export async function callContextOf(
  c: Context<AppEnv>,
  auth: HttpHint['auth'],
  options: Pick<ContractRouteOptions, 'authenticate' | 'timeoutMs'>,
): Promise<CallContext> {
  const ctx = requestCallContext(c, options.timeoutMs);
  if (auth === 'none') return ctx;
  const token = bearerToken(c.req.header('authorization'));
  if (!token) {
    if (auth === 'required') throw platformErrors.unauthorized();
    return ctx;
  }
  ctx.caller = await options.authenticate(token, ctx);
  c.set('caller', ctx.caller);
  return ctx;
}

/**
 * Turns every public op of a contract into a documented route whose handler is bus.call.
 * Internal ops stay on the bus; an op marked internal that carries a route is refused.
 */
export function mountContract(app: App, contract: AnyContract, options: ContractRouteOptions): void {
  for (const op of Object.values(contract.ops) as Op[]) {
    const exposure = exposureProblem(op);
    if (exposure) throw new Error(`${op.name} ${exposure}: the public API will not mount it`);
    if (op.http) mountOp(app, contract, op, op.http, options);
  }
}

function mountOp(app: App, contract: AnyContract, op: Op, http: HttpHint, options: ContractRouteOptions): void {
  if (!(op.input instanceof z.ZodObject)) throw new Error(`${op.name}: an op with HTTP hints needs an object input`);
  const input = op.input as z.ZodObject;
  const paramKeys = http.params ?? [];
  const queryKeys = http.query ?? [];
  const headerEntries = Object.entries(http.headers ?? {});
  const keyInput = typeof http.idempotencyKey === 'string' ? http.idempotencyKey : undefined;
  if (keyInput !== undefined && !(keyInput in input.shape))
    throw new Error(`${op.name}: idempotencyKey names "${keyInput}", which is not an input key`);
  const nonBodyKeys = [
    ...paramKeys,
    ...queryKeys,
    ...headerEntries.map(([key]) => key),
    ...(keyInput === undefined ? [] : [keyInput]),
  ];
  // Refined inputs cannot be omitted from; they are wholly body inputs.
  const bodyShape = nonBodyKeys.length > 0 ? input.omit(mask(nonBodyKeys)) : input;
  const hasBody = Object.keys(bodyShape.shape).length > 0;
  const idempotent = http.idempotencyKey ? idempotentResponseOf(op, http, options) : undefined;
  const guard = inputGuard(input);
  // Every input key is validated above by its own field schema (or the whole input, when it is
  // all body), so the bus need not parse the merged input again; an Idempotency-Key is parsed
  // by its header's schema, not the input's, so such ops are parsed again at the bus.
  const parsedHere = keyInput === undefined;

  const request: Record<string, unknown> = {};
  if (paramKeys.length > 0) request.params = input.pick(mask(paramKeys)).strip();
  if (queryKeys.length > 0) request.query = input.pick(mask(queryKeys)).strip();
  if (headerEntries.length > 0 || idempotent) {
    const headers = Object.fromEntries(headerEntries.map(([key, header]) => [header, input.shape[key]!]));
    request.headers = z
      .object({ ...(idempotent ? { 'idempotency-key': idempotencyKeyHeaderSchema } : {}), ...headers })
      .strip();
  }
  if (hasBody) request.body = { content: { 'application/json': { schema: bodyShape } }, required: true };

  // Authentication runs before validation: a request without valid credentials gets 401 whatever its input.
  const authenticated: MiddlewareHandler<AppEnv> = async function authenticateRoute(c, next) {
    c.set('callContext', await callContextOf(c, http.auth, options));
    await next();
  };
  const middleware = [
    ...(http.deprecated ? [deprecated(http.deprecated)] : []),
    ...(http.auth !== 'none' ? [authenticated] : []),
  ];

  const route = createRoute({
    method: http.method,
    path: http.path,
    operationId: op.name,
    tags: [http.tag],
    summary: op.summary,
    ...(http.description ? { description: http.description } : {}),
    ...(http.deprecated ? { deprecated: true } : {}),
    ...(http.auth !== 'none' ? { security: [{ bearerAuth: [] }] } : {}),
    request,
    responses: {
      ...successResponse(op, http),
      ...errorResponses(contract, op, http, hasBody),
    } as RouteConfig['responses'],
    ...(middleware.length > 0 ? { middleware } : {}),
  });

  const handler = async (c: Context<AppEnv>) => {
    const ctx = c.get('callContext') ?? requestCallContext(c, options.timeoutMs);
    if (options.evaluateFlags) ctx.flags = await options.evaluateFlags(ctx.caller);
    const limited = await options.limitCaller?.(c, async () => {});
    if (limited) return limited;
    const valid = (target: string) => (c.req.valid as (t: string) => Record<string, unknown>).call(c.req, target);
    const args: Record<string, unknown> = {
      ...(hasBody ? valid('json') : {}),
      ...(paramKeys.length > 0 ? valid('param') : {}),
      ...(queryKeys.length > 0 ? valid('query') : {}),
    };
    if (headerEntries.length > 0) {
      const headers = valid('header');
      for (const [key, header] of headerEntries) if (headers[header] !== undefined) args[key] = headers[header];
    }
    const keyHeader = keyInput === undefined ? undefined : c.req.header('idempotency-key');
    if (keyHeader !== undefined) args[keyInput!] = parseIdempotencyKey(keyHeader);
    // NUL, lone surrogates and absurd dates stop here, before any module, database or outbox.
    guard(args);
    const call = () =>
      (parsedHere
        ? options.bus.callParsed(op, args as never, ctx)
        : options.bus.call(op, args as never, ctx)) as Promise<Record<string, unknown>>;
    const respond = async (): Promise<Response> => {
      let output: Record<string, unknown>;
      // Only a remote owner can be unavailable: a local call skips the per-request bookkeeping.
      // Anonymous reads only: what a signed-in caller sees may be theirs alone (or their flags').
      const anonymous = http.auth === 'none' || (http.auth === 'optional' && !ctx.caller);
      if (options.staleFallback && http.method === 'get' && anonymous && !options.bus.hosts(op.name)) {
        const result = await options.staleFallback.run(c.req.url, call);
        output = result.value;
        if (result.stale) for (const [name, value] of Object.entries(staleHeaders)) c.header(name, value);
      } else {
        output = await call();
      }
      if (http.etag && output && output[http.etag] !== undefined) {
        const etag = `"${String(output[http.etag])}"`;
        c.header('ETag', etag);
        // A client that holds this version gets 304 without the body.
        if (http.method === 'get' && notModified(c.req.header('if-none-match'), etag)) return c.body(null, 304);
      }
      if (http.status === 204) return c.body(null, 204);
      return c.json(output, http.status);
    };
    return idempotent ? idempotent(c, http.path, respond) : respond();
  };
  app.openapi(route, handler as never);
}

/** Whether an If-None-Match header names this ETag (or is "*"); weak validators compare as strong ones for GET. */
function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

/** The Idempotency-Key handling of an op that asks for it; a misconfiguration fails at startup. */
function idempotentResponseOf(op: Op, http: HttpHint, options: ContractRouteOptions): IdempotentResponse {
  if (http.method === 'get' || http.auth !== 'required')
    throw new Error(`${op.name}: idempotencyKey needs a non-GET route with auth 'required'`);
  if (!options.idempotency)
    throw new Error(`${op.name}: idempotencyKey is set but no idempotency store was configured`);
  return options.idempotency;
}

function mask(keys: readonly string[]): Record<string, true> {
  return Object.fromEntries(keys.map((k) => [k, true]));
}

function successResponse(op: Op, http: HttpHint) {
  if (http.status === 204) return { 204: { description: 'Done' } };
  const headers = {
    ...(http.etag
      ? { ETag: { description: 'The representation version, for If-Match', schema: { type: 'string' as const } } }
      : {}),
    ...(http.idempotencyKey
      ? {
          [REPLAYED_HEADER]: {
            description:
              'true when this repeats the stored response to an earlier request with the same Idempotency-Key',
            schema: { type: 'string' as const },
          },
        }
      : {}),
  };
  return {
    [http.status]: {
      description: op.summary,
      content: { 'application/json': { schema: op.output } },
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
    },
    ...(http.etag && http.method === 'get'
      ? { 304: { description: 'Not modified: If-None-Match names the current version' } }
      : {}),
  };
}

function errorResponses(contract: AnyContract, op: Op, http: HttpHint, hasBody: boolean) {
  const byStatus = new Map<number, string[]>();
  const add = (status: number, code: string) => byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  add(400, 'validationFailed');
  if (http.auth === 'required' || http.auth === 'optional') add(401, 'unauthorized');
  if (hasBody) add(413, 'payloadTooLarge');
  for (const name of op.errors ?? []) add(statusOfKind[contract.errors[name]!], `${contract.name}.${name}`);
  if (http.idempotencyKey)
    for (const [code, kind] of Object.entries(idempotencyErrorKinds)) add(statusOfKind[kind], code);
  add(429, 'rateLimited');
  add(500, 'internal');
  add(503, 'serviceUnavailable');
  return Object.fromEntries(
    [...byStatus].map(([status, codes]) => [
      status,
      {
        description: `Problem: ${codes.join(', ')}`,
        content: { 'application/problem+json': { schema: problemSchema } },
      },
    ]),
  );
}
