import { eq, sql } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { identity } from '../contract.ts';
import { users } from '../db/schema.ts';
import type { IdentityDeps } from '../deps.ts';
import { DUMMY_HASH, verifyPassword } from '../domain/passwords.ts';
import { normalizeEmail } from '../domain/users.ts';
import { clearLoginFailures, recordLoginFailure, refuseThrottledLogin } from '../store/login-throttle.ts';
import { issueTokens, openSession } from '../store/sessions.ts';

export const login: Handler<typeof identity.ops.login, IdentityDeps> = async (input, { deps }) => {
  const email = normalizeEmail(input.email);
  await refuseThrottledLogin(deps, email);
  const [user] = await deps.db
    .select()
    .from(users)
    .where(eq(sql`lower(${users.email})`, email));
  // Verify against a dummy hash when there is no such user, so timing does not reveal accounts.
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok) {
    await recordLoginFailure(deps, email);
    throw identity.error('invalidCredentials', 'The email or password is wrong.');
  }
  await clearLoginFailures(deps, email);
  return deps.db.transaction(async (tx) => {
    const sessionId = await openSession(deps, tx, user.id);
    return issueTokens(deps, tx, { id: sessionId, userId: user.id, role: user.role });
  });
};
