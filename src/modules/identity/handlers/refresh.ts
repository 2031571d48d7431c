import { and, eq, isNull } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { identity } from '../contract.ts';
import { refreshTokens, sessions, users } from '../db/schema.ts';
import type { IdentityDeps } from '../deps.ts';
import { hashRefreshToken } from '../domain/tokens.ts';
import { forgetSessions, issueTokens, revokeSessions } from '../store/sessions.ts';

const invalid = () => identity.error('invalidRefreshToken', 'The refresh token is not valid.');

/** Rotation: a refresh token works once; using it twice means it leaked, so the family dies. */
export const refresh: Handler<typeof identity.ops.refresh, IdentityDeps> = async (input, { deps }) => {
  const tokenHash = hashRefreshToken(input.refreshToken);
  const outcome = await deps.db.transaction(async (tx) => {
    // Lock only the token row (PostgreSQL refuses a schema-qualified FOR UPDATE OF), so
    // concurrent uses of one token are serialized and the later one sees it used.
    const [token] = await tx
      .select({ sessionId: refreshTokens.sessionId, usedAt: refreshTokens.usedAt })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .for('update');
    if (!token) return { kind: 'invalid' as const };
    const [row] = await tx
      .select({ revokedAt: sessions.revokedAt, expiresAt: sessions.expiresAt, userId: users.id, role: users.role })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.id, token.sessionId));
    if (!row || row.revokedAt || row.expiresAt.getTime() <= Date.now()) return { kind: 'invalid' as const };
    if (token.usedAt) {
      const revoked = await revokeSessions(tx, { sessionId: token.sessionId }, 'refresh token reused');
      return { kind: 'reused' as const, revoked };
    }
    const used = await tx
      .update(refreshTokens)
      .set({ usedAt: new Date() })
      .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.usedAt)))
      .returning({ tokenHash: refreshTokens.tokenHash });
    if (used.length === 0) return { kind: 'invalid' as const };
    return {
      kind: 'ok' as const,
      tokens: await issueTokens(deps, tx, { id: token.sessionId, userId: row.userId, role: row.role }),
    };
  });
  if (outcome.kind === 'ok') return outcome.tokens;
  if (outcome.kind === 'reused') await forgetSessions(deps, outcome.revoked, true);
  throw invalid();
};
