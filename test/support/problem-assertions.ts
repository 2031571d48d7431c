import assert from 'node:assert/strict';
import type { ApiResponse } from './api-client.ts';

/** The members an RFC 9457 problem of ours may have. */
const PROBLEM_KEYS = new Set(['type', 'title', 'status', 'detail', 'code', 'instance', 'requestId', 'errors']);

/** Asserts a response is an RFC 9457 problem with this status (and code), matching none of `leaks`. */
export function assertLeakFreeProblem(
  response: ApiResponse,
  status: number,
  code: string | undefined,
  leaks: readonly RegExp[],
) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  const body = response.body as Record<string, unknown>;
  assert.equal(body.status, status);
  assert.match(String(body.type), /^urn:shareloop:problem:/);
  assert.equal(typeof body.detail, 'string');
  if (code) assert.equal(body.code, code);
  for (const key of Object.keys(body)) assert.ok(PROBLEM_KEYS.has(key), `unexpected problem field ${key}`);
  const text = JSON.stringify(body);
  for (const leak of leaks) assert.doesNotMatch(text, leak);
}
