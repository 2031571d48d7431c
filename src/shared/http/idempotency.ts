import type { Context } from 'hono';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import { AppError, platformErrors } from '../bus/errors.ts';
import type { AppEnv } from './env.ts';
import {
  idempotencyErrorKinds,
  idempotencyStoreKey,
  parseIdempotencyKey,
  requestFingerprint,
} from './idempotency-key.ts';
import type { BeginResult, IdempotencyStore, StoredResponse } from './idempotency-store.ts';
import { problemResponse, toProblem } from './problem.ts';
import type { WarnLog } from './rate-limit.ts';

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /**
   * How long a first attempt holds its key. A retry meanwhile gets 409; once the lease runs
   * out (a crashed gateway) a retry starts over. Keep it well above the request timeout.
   */
  leaseMs?: number;
  /** How long a finished response is replayed: 24 hours by default, as the draft suggests at least. */
  retentionMs?: number;
  /** The Retry-After of a 409 for a request still in flight. */
  retryAfterSeconds?: number;
  log?: WarnLog;
}

/**
 * Runs respond() at most once per Idempotency-Key, or answers from the key's record.
 * route is the route's path template, e.g. /v1/items/{id}.
 */
export type IdempotentResponse = (
  c: Context<AppEnv>,
  route: string,
  respond: () => Promise<Response>,
) => Promise<Response>;

/** Marks a response that repeats a stored one rather than a new execution (Stripe's header). */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** The response headers that describe the result and are replayed with it. */
const REPLAYED_HEADERS = ['content-type', 'etag', 'location', 'content-location', 'last-modified'];
const HOUR_MS = 3_600_000;
const consoleLog: WarnLog = { warn: (fields, message) => console.warn(message, fields) };

/**
 * Idempotency-Key support (draft-ietf-httpapi-idempotency-key-header, as Stripe does it)
 * for a route handler, to be run once the caller is authenticated:
 *
 * - no header: respond() runs as usual; a malformed one: 400 invalidIdempotencyKey;
 * - keys are scoped to the caller (user id) and route, and the request is fingerprinted
 *   (method, path, query, canonical JSON body): another request under a used key is 422
 *   idempotencyKeyReused, a retry while the first still runs is 409
 *   idempotencyRequestInFlight with Retry-After;
 * - the first response, success or client error, is stored for retentionMs and replayed with Idempotent-Replayed: true;
 * - a 5xx or 429 (thrown or returned) releases the key, so the client may retry: such a
 *   failure may be transient, and no result was promised. (So a call that timed out here
 *   but finished in its service can run again on retry.)
 *
 * When the store fails (Redis down) the request gets 503 rather than running unprotected;
 * when storing the response fails it is still sent, and the key frees itself at lease end.
 * Requests without an authenticated caller are not tracked (there is no one to scope to).
 */
export function idempotency({
  store,
  leaseMs = 60_000,
  retentionMs = 24 * HOUR_MS,
  retryAfterSeconds = 1,
  log = consoleLog,
}: IdempotencyOptions): IdempotentResponse {
  if (!(leaseMs > 0) || !(retentionMs >= leaseMs))
    throw new Error('idempotency: leaseMs must be positive and retentionMs at least leaseMs');

  return async function idempotentResponse(c, route, respond) {
    const header = c.req.header('idempotency-key');
    const caller = c.get('caller');
    if (header === undefined || !caller) return respond();
    const key = idempotencyStoreKey(caller.userId, c.req.method, route, parseIdempotencyKey(header));
    const fingerprint = requestFingerprint(
      c.req.method,
      c.req.path,
      new URL(c.req.url).searchParams,
      await c.req.text(),
    );

    let begun: BeginResult;
    try {
      begun = await store.begin(key, fingerprint, leaseMs);
    } catch (err) {
      log.warn({ err: errorMessage(err), route }, 'idempotency store failed; refusing the keyed request');
      throw platformErrors.unavailable(
        'Idempotency keys cannot be checked right now; retry shortly.',
        retryAfterSeconds,
      );
    }
    if (begun === 'mismatch') {
      throw new AppError(
        'idempotencyKeyReused',
        idempotencyErrorKinds.idempotencyKeyReused,
        'This Idempotency-Key was already used for a different request; use a new key.',
      );
    }
    if (begun === 'in_flight') {
      throw new AppError(
        'idempotencyRequestInFlight',
        idempotencyErrorKinds.idempotencyRequestInFlight,
        'A request with this Idempotency-Key is still being processed; retry shortly.',
        {
          retryAfterSeconds,
        },
      );
    }
    if (begun !== 'started') return replay(c, begun.replay);

    const release = () =>
      store
        .release(key)
        .catch((err: unknown) =>
          log.warn({ err: errorMessage(err), route }, 'idempotency key not released; it frees itself at lease end'),
        );
    let response: Response;
    try {
      response = await respond();
    } catch (error) {
      const problem = toProblem(error, c.req.path, c.get('requestId'));
      if (isTransient(problem.status)) {
        await release();
        throw error;
      }
      const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
      response = problemResponse(problem, retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
    }
    if (isTransient(response.status)) {
      await release();
      return response;
    }
    try {
      if (!(await store.complete(key, await snapshot(response), retentionMs)))
        log.warn({ route, leaseMs }, 'idempotent response not stored: its lease ran out first');
    } catch (err) {
      log.warn({ err: errorMessage(err), route }, 'idempotent response not stored; the key frees itself at lease end');
    }
    return response;
  };
}

/** A status that says "not done, try again" rather than giving a result to keep. */
function isTransient(status: number): boolean {
  return status >= 500 || status === 429;
}

async function snapshot(response: Response): Promise<StoredResponse> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: response.status, headers, body: await response.clone().text() };
}

function replay(c: Context<AppEnv>, stored: StoredResponse): Response {
  const headers = { ...stored.headers, [REPLAYED_HEADER]: 'true' };
  if (stored.body === '') return c.body(null, stored.status as StatusCode, headers);
  return c.body(stored.body, stored.status as ContentfulStatusCode, headers);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
