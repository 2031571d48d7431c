import { identity } from '../modules/identity/contract.ts';
import type { Bus } from '../shared/bus/bus.ts';
import type { Authenticate } from '../shared/http/contract-routes.ts';

/** Edge authentication: every bearer token is checked by identity's validate-token query. */
export function authenticateWith(bus: Bus): Authenticate {
  return async function authenticate(token, ctx) {
    const claims = await bus.call(identity.ops.validateToken, { token }, ctx);
    return { userId: claims.userId, role: claims.role, sessionId: claims.sessionId };
  };
}
