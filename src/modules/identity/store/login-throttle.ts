import { createHash } from 'node:crypto';
import { identity } from '../contract.ts';
import type { IdentityDeps } from '../deps.ts';

/** How long failed logins of an account are remembered, and an account stays paused. */
const WINDOW_SECONDS = 15 * 60;

interface Failures {
  count: number;
  /** Epoch ms when the window that started with the first failure ends. */
  until: number;
}

/** Keyed by a hash of the normalized email, so no address sits in the cache (known or not, alike). */
const failuresKey = (email: string) =>
  `identity:login-failures:${createHash('sha256').update(email).digest('base64url')}`;

async function read(deps: IdentityDeps, email: string): Promise<Failures | undefined> {
  const raw = await deps.cache.get(failuresKey(email));
  if (!raw) return undefined;
  const failures = JSON.parse(raw) as Failures;
  return failures.until > Date.now() ? failures : undefined;
}

/**
 * Per-account login throttling, beside the per-IP limit: after `loginFailuresPerAccount` wrong
 * passwords within 15 minutes, the account's logins get 429 until that window ends, whatever
 * the password. Counts apply to unknown emails too, so the answer reveals no account.
 */
export async function refuseThrottledLogin(deps: IdentityDeps, email: string): Promise<void> {
  if (deps.loginFailuresPerAccount === 0) return;
  const failures = await read(deps, email);
  if (failures && failures.count >= deps.loginFailuresPerAccount) {
    const retryAfterSeconds = Math.max(1, Math.ceil((failures.until - Date.now()) / 1000));
    throw identity.error('tooManyLoginAttempts', 'Too many failed logins for this account; wait before trying again.', {
      retryAfterSeconds,
    });
  }
}

/** Counts a failed login of the account. */
export async function recordLoginFailure(deps: IdentityDeps, email: string): Promise<void> {
  if (deps.loginFailuresPerAccount === 0) return;
  const failures = (await read(deps, email)) ?? { count: 0, until: Date.now() + WINDOW_SECONDS * 1000 };
  failures.count++;
  await deps.cache.set(
    failuresKey(email),
    JSON.stringify(failures),
    Math.max(1, Math.ceil((failures.until - Date.now()) / 1000)),
  );
}

/** A successful login clears the account's failures. */
export async function clearLoginFailures(deps: IdentityDeps, email: string): Promise<void> {
  if (deps.loginFailuresPerAccount === 0) return;
  await deps.cache.del(failuresKey(email));
}
