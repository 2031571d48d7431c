/** A response kept so that retries with the same Idempotency-Key get it again. */
export interface StoredResponse {
  status: number;
  /** Only the headers that describe the result (content-type, ETag, Location…), lowercased. */
  headers: Record<string, string>;
  /** The body as text; empty for 204. */
  body: string;
}

/**
 * What begin() found for a key: nothing yet (the caller now holds it and must complete or
 * release it), a finished response to replay, a first attempt still running, or a key
 * first used for a different request.
 */
export type BeginResult = 'started' | 'in_flight' | 'mismatch' | { replay: StoredResponse };

/**
 * Where Idempotency-Key records live: in Redis when gateways share them, in memory in a
 * lone process. Each call is atomic per key.
 */
export interface IdempotencyStore {
  /**
   * Claims the key for a request with this fingerprint, holding it for leaseMs; a holder
   * that neither completes nor releases in that time (a crashed process) loses the key.
   */
  begin(key: string, fingerprint: string, leaseMs: number): Promise<BeginResult>;
  /**
   * Stores the response of the key's holder for ttlMs. Returns false, storing nothing,
   * when the key is no longer held (its lease ran out) or already has a response.
   */
  complete(key: string, response: StoredResponse, ttlMs: number): Promise<boolean>;
  /** Drops a held key that has no response yet, so that a retry can start over. */
  release(key: string): Promise<void>;
}
