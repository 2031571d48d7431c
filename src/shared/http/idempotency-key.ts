import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError, type ErrorKind } from '../bus/errors.ts';

/** A key is 1–255 visible ASCII characters (0x21–0x7E): no spaces, controls or non-ASCII. */
const KEY = /^[\x21-\x7E]{1,255}$/;
/** The draft's Structured Field string form, "…", when its content needs no escapes. */
const QUOTED_KEY = /^"([\x21\x23-\x5B\x5D-\x7E]{1,255})"$/;

/** The problems an idempotent route may answer with, by code. */
export const idempotencyErrorKinds = {
  invalidIdempotencyKey: 'invalid',
  idempotencyRequestInFlight: 'conflict',
  idempotencyKeyReused: 'unprocessable',
} as const satisfies Record<string, ErrorKind>;

/** The optional Idempotency-Key request header, as documented in OpenAPI (checked by parseIdempotencyKey, not here). */
export const idempotencyKeyHeaderSchema = z
  .string()
  .optional()
  .meta({
    description:
      'Makes a retry safe: the first response to a key is stored for at least 24 hours and replayed (with Idempotent-Replayed: true) ' +
      'to retries with the same key and body. 1–255 visible ASCII characters, e.g. a UUID; scoped to the caller and route. ' +
      'Reusing a key with a different body is 422; a retry while the first request runs is 409 with Retry-After.',
    example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
    minLength: 1,
    maxLength: 255,
    pattern: '^[\\x21-\\x7E]{1,255}$',
  });

/**
 * The key an Idempotency-Key header carries, in the plain form (Stripe) or the draft's
 * quoted string form; anything else is a 400 invalidIdempotencyKey.
 */
export function parseIdempotencyKey(header: string): string {
  const quoted = QUOTED_KEY.exec(header);
  if (quoted) return quoted[1]!;
  if (KEY.test(header)) return header;
  throw new AppError(
    'invalidIdempotencyKey',
    idempotencyErrorKinds.invalidIdempotencyKey,
    'Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces), such as a UUID.',
  );
}

/** Where a key's record lives: scoped to the caller and the route, so keys never collide across users or operations. */
export function idempotencyStoreKey(userId: string, method: string, route: string, key: string): string {
  // {id} becomes :id: braces would be a hash tag to Redis Cluster.
  return `idem:${userId}:${method.toUpperCase()}:${route.replace(/\{([^}]*)\}/g, ':$1')}:${key}`;
}

/**
 * What makes two requests the same request: method, path, query (sorted) and a hash of
 * the body as canonical JSON, so that key order and whitespace do not matter. A body that
 * is not JSON is hashed as it is.
 */
export function requestFingerprint(method: string, path: string, query: URLSearchParams, body: string): string {
  let canonical = body;
  if (body.trim() !== '') {
    try {
      canonical = canonicalJson(JSON.parse(body));
    } catch {
      // not JSON: compare byte for byte
    }
  }
  const sorted = new URLSearchParams(
    [...query].sort(([a, x], [b, y]) => (a === b ? compare(x, y) : compare(a, b))),
  ).toString();
  const hash = createHash('sha256').update(canonical).digest('base64url');
  return `${method.toUpperCase()} ${path}${sorted ? `?${sorted}` : ''} sha256:${hash}`;
}

/** JSON with object keys sorted at every depth; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compare(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
