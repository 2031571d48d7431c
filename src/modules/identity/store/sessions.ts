import { randomUUID } from 'node:crypto';
import { and, eq, isNull, ne } from 'drizzle-orm';
import type { Db, Tx } from '../../../shared/db/database.ts';
import { refreshTokens, sessions, users } from '../db/schema.ts';
import type { IdentityDeps } from '../deps.ts';
import { hashRefreshToken, newRefreshToken, signAccessToken } from '../domain/tokens.ts';

/** How long a validated session's state is trusted from the cache. */
const SESSION_CACHE_SECONDS = 30;

// Both tagged with the session id: one slot on a Redis Cluster, one node on a cache ring, one MGET.
const sessionKey = (sessionId: string) => `identity:session:{${sessionId}}`;
const revokedKey = (sessionId: string) => `identity:revoked:{${sessionId}}`;

export interface SessionState {
  userId: string;
  role: 'member' | 'admin';
}

/** Issues an access token and a new refresh token for a session, inside the caller's transaction. */
export async function issueTokens(
  deps: IdentityDeps,
  tx: Tx | Db,
  session: { id: string; userId: string; role: string },
) {
  const refreshToken = newRefreshToken();
  await tx.insert(refreshTokens).values({ tokenHash: hashRefreshToken(refreshToken), sessionId: session.id });
  const accessToken = await signAccessToken(deps.tokens, {
    userId: session.userId,
    role: session.role,
    sessionId: session.id,
  });
  return { accessToken, refreshToken, expiresIn: deps.tokens.accessTtlSeconds, tokenType: 'Bearer' as const };
}

/** Opens a new session (one login) for a user. */
export async function openSession(deps: IdentityDeps, tx: Tx | Db, userId: string) {
  const id = randomUUID();
  await tx
    .insert(sessions)
    .values({ id, userId, expiresAt: new Date(Date.now() + deps.tokens.refreshTtlSeconds * 1000) });
  return id;
}

/**
 * The state of a live session, cache-aside. A revocation marker outlives every access token
 * of the session, so a revoked session is refused at once even if its positive entry races.
 */
export async function activeSession(deps: IdentityDeps, sessionId: string): Promise<SessionState | undefined> {
  const [revoked, hit] = await deps.cache.getMany([revokedKey(sessionId), sessionKey(sessionId)]);
  if (revoked) return undefined;
  if (hit) return JSON.parse(hit) as SessionState;
  const [row] = await deps.db
    .select({ userId: sessions.userId, role: users.role, expiresAt: sessions.expiresAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
  if (!row || row.expiresAt.getTime() <= Date.now()) return undefined;
  const state: SessionState = { userId: row.userId, role: row.role };
  await deps.cache.set(sessionKey(sessionId), JSON.stringify(state), SESSION_CACHE_SECONDS);
  return state;
}

/** Revokes sessions in the database (already done by the caller) and in every cache, at once. */
export async function forgetSessions(deps: IdentityDeps, sessionIds: string[], revoked: boolean): Promise<void> {
  if (sessionIds.length === 0) return;
  if (revoked) {
    const ttl = deps.tokens.accessTtlSeconds + SESSION_CACHE_SECONDS;
    await Promise.all(sessionIds.map((id) => deps.cache.set(revokedKey(id), '1', ttl)));
  }
  await deps.cache.del(...sessionIds.map(sessionKey));
}

/** Drops the cached state of every session of a user, so a changed role is seen at once. */
export async function forgetUserSessions(deps: IdentityDeps, userId: string): Promise<void> {
  const all = await deps.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId));
  await forgetSessions(
    deps,
    all.map((s) => s.id),
    false,
  );
}

/** Marks sessions revoked in the database (one, or a user's, but perhaps one); returns the ids that were live. */
export async function revokeSessions(
  tx: Tx | Db,
  where: { sessionId?: string; userId?: string; exceptSessionId?: string | undefined },
  reason: string,
): Promise<string[]> {
  const scope = where.sessionId ? eq(sessions.id, where.sessionId) : eq(sessions.userId, where.userId!);
  const condition = where.exceptSessionId ? and(scope, ne(sessions.id, where.exceptSessionId)) : scope;
  const rows = await tx
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(condition, isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.map((r) => r.id);
}
