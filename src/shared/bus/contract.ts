import type { z } from 'zod';
import { AppError, type ErrorKind } from './errors.ts';

/** How a contract operation is exposed as a public HTTP route. */
export interface HttpHint {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI-style path, e.g. /v1/items/{id}. */
  path: string;
  /** Success status; 204 sends no body. */
  status: 200 | 201 | 202 | 204;
  /** Whether a bearer token is required, optional, or ignored. */
  auth: 'required' | 'optional' | 'none';
  tag: string;
  /** Input keys taken from path parameters. */
  params?: readonly string[];
  /** Input keys taken from the query string (the rest come from the JSON body). */
  query?: readonly string[];
  /** Input keys taken from request headers: input key → header name. */
  headers?: Readonly<Record<string, string>>;
  /** Output field whose value is sent as a strong ETag. */
  etag?: string;
  /**
   * Accept an optional Idempotency-Key header: the first response to a key is stored and
   * replayed to retries (see shared/http/idempotency.ts). Only for non-GET routes with auth 'required'.
   * A string names an optional input key that also receives the parsed key, so the op itself
   * can be idempotent where a stored response cannot help (a timed-out first attempt that
   * finished later, a lost store, another gateway).
   */
  idempotencyKey?: boolean | string;
  /** Response headers taken from output fields: header name → output key. */
  description?: string;
  /** A route being retired: it still answers, with Deprecation, Sunset and Link headers, and is deprecated in OpenAPI. */
  deprecated?: Retirement;
}

/** When a deprecated route was retired and what replaces it. */
export interface Retirement {
  /** The day it was deprecated (ISO 8601), sent as `Deprecation: @<epoch seconds>` (RFC 9745). */
  since: string;
  /** The day after which it may stop answering (ISO 8601), sent as an HTTP-date `Sunset` (RFC 8594). */
  sunset: string;
  /** The path of the route that replaces it, sent as `Link: <path>; rel="successor-version"`. */
  successor: string;
}

/** Turns a payload of one version of an event into the next version's payload (the envelope tells when and who). */
export type Upcaster = (payload: any, envelope: { occurredAt: string; userId?: string | undefined }) => unknown;

/** One command or query as declared in a contract. */
export interface OpSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  kind: 'command' | 'query';
  /** One line of business meaning. */
  summary: string;
  input: I;
  output: O;
  /** Names of this contract's errors the operation may raise. */
  errors?: readonly string[];
  /** A command safe to retry (queries always are). */
  idempotent?: boolean;
  /** Per-attempt timeout across a hop, for ops that orchestrate other calls (default BUS_TIMEOUT_MS). */
  timeoutMs?: number;
  /** The public route of an op that clients call; an op has this or `internal`, never both. */
  http?: HttpHint;
  /**
   * Only other modules may call it (saga steps, two-phase decisions, exports for the ETL):
   * it is served on the bus alone and the public API refuses to mount it.
   */
  internal?: true;
}

/** What `op()` accepts: a public op with its route, or an internal one without. */
export type DeclaredOp<I extends z.ZodType, O extends z.ZodType> = OpSpec<I, O> &
  ({ http: HttpHint; internal?: never } | { internal: true; http?: never });

/** A contract operation with its fully qualified name: the typed reference callers hold. */
export interface Op<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> extends OpSpec<I, O> {
  name: string;
  module: string;
  /** The contract's major version. */
  version: number;
  /** The contract's minor version (informative on the wire: minors interoperate). */
  minor?: number;
}

/** An event a module publishes, versioned, carrying ids and facts only. */
export interface EventSpec<P extends z.ZodType = z.ZodType> {
  summary: string;
  version: number;
  payload: P;
  /**
   * Version n → the upcaster to version n + 1, for every earlier version consumers must still
   * accept (a message published by an older process); applied before the payload is parsed.
   */
  upcasters?: Readonly<Record<number, Upcaster>>;
}

export interface Event<P extends z.ZodType = z.ZodType> extends EventSpec<P> {
  name: string;
  module: string;
}

export type InputOf<O extends Op> = z.input<O['input']>;
export type ParsedInputOf<O extends Op> = z.output<O['input']>;
export type OutputOf<O extends Op> = z.output<O['output']>;

type OpsOf<Name extends string, Ops extends Record<string, OpSpec>> = {
  [K in keyof Ops & string]: Ops[K] & { name: `${Name}.${K}`; module: Name; version: number };
};
type EventsOf<Name extends string, Evs extends Record<string, EventSpec>> = {
  [K in keyof Evs & string]: Evs[K] & { name: `${Name}.${K}`; module: Name };
};

/** A module's public face: the only thing other modules may import. */
export interface Contract<
  Name extends string = string,
  Errs extends Record<string, ErrorKind> = Record<string, ErrorKind>,
  Ops extends Record<string, OpSpec> = Record<string, OpSpec>,
  Evs extends Record<string, EventSpec> = Record<string, EventSpec>,
> {
  name: Name;
  /** Major version; a caller built against another major fails fast. */
  version: number;
  /** Minor version: additive changes (a new op, event or optional input); callers of another minor interoperate. */
  minor: number;
  errors: Errs;
  ops: OpsOf<Name, Ops>;
  events: EventsOf<Name, Evs>;
  /** Builds one of this contract's declared errors. */
  error(code: keyof Errs & string, detail: string, extra?: { retryAfterSeconds?: number }): AppError;
}

export type AnyContract = Contract<
  string,
  Record<string, ErrorKind>,
  Record<string, OpSpec>,
  Record<string, EventSpec>
>;

/** Declares a module contract; checks that every op lists only declared errors. */
export function defineContract<
  const Name extends string,
  const Errs extends Record<string, ErrorKind>,
  const Ops extends Record<string, OpSpec>,
  const Evs extends Record<string, EventSpec> = Record<never, EventSpec>,
>(def: {
  name: Name;
  version: number;
  minor?: number;
  errors: Errs;
  ops: Ops;
  events?: Evs;
}): Contract<Name, Errs, Ops, Evs> {
  const ops = {} as Record<string, Op>;
  for (const [key, spec] of Object.entries(def.ops)) {
    const exposure = exposureProblem(spec);
    if (exposure) throw new Error(`${def.name}.${key} ${exposure}`);
    for (const code of spec.errors ?? []) {
      if (!(code in def.errors)) throw new Error(`${def.name}.${key} lists undeclared error ${code}`);
    }
    ops[key] = { ...spec, name: `${def.name}.${key}`, module: def.name, version: def.version, minor: def.minor ?? 0 };
  }
  const events = {} as Record<string, Event>;
  for (const [key, spec] of Object.entries(def.events ?? {})) {
    events[key] = { ...spec, name: `${def.name}.${key}`, module: def.name };
  }
  return {
    name: def.name,
    version: def.version,
    minor: def.minor ?? 0,
    errors: def.errors,
    ops: ops as OpsOf<Name, Ops>,
    events: events as EventsOf<Name, Evs>,
    error(code, detail, extra) {
      return new AppError(`${def.name}.${code}`, def.errors[code]!, detail, extra);
    },
  };
}

/** Why an op is neither plainly public nor plainly internal; undefined when it is one of them. */
export function exposureProblem(spec: Pick<OpSpec, 'http' | 'internal'>): string | undefined {
  if (spec.internal && spec.http) return 'is internal but has an HTTP route';
  if (!spec.internal && !spec.http) return 'needs an HTTP route or internal: true';
  return undefined;
}

/** Identity helper that keeps an op's schema types while checking its shape (public with a route, or internal). */
export function op<I extends z.ZodType, O extends z.ZodType>(spec: DeclaredOp<I, O>): OpSpec<I, O> {
  return spec;
}

/** Identity helper for events. */
export function event<P extends z.ZodType>(spec: EventSpec<P>): EventSpec<P> {
  return spec;
}
