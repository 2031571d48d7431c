import type { Handler } from '../../../shared/bus/bus.ts';
import { identity } from '../contract.ts';
import type { IdentityDeps } from '../deps.ts';
import { verifyAccessToken } from '../domain/tokens.ts';
import { activeSession } from '../store/sessions.ts';

export const validateToken: Handler<typeof identity.ops.validateToken, IdentityDeps> = async (input, { deps }) => {
  let claims = deps.verifiedTokens.get(input.token);
  if (!claims) {
    claims = await verifyAccessToken(deps.tokens, input.token);
    if (claims) deps.verifiedTokens.remember(input.token, claims);
  }
  const session = claims && (await activeSession(deps, claims.sessionId));
  if (!claims || !session || session.userId !== claims.userId) {
    throw identity.error('invalidToken', 'The access token is invalid, expired or revoked.');
  }
  // The role comes from the live session state, so a role change applies without a new login.
  return {
    userId: claims.userId,
    role: session.role,
    sessionId: claims.sessionId,
    expiresAt: claims.expiresAt.toISOString(),
  };
};
