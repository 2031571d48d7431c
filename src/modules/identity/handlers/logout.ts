import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import type { identity } from '../contract.ts';
import type { IdentityDeps } from '../deps.ts';
import { forgetSessions, revokeSessions } from '../store/sessions.ts';

export const logout: Handler<typeof identity.ops.logout, IdentityDeps> = async (_input, { deps, caller }) => {
  if (!caller?.sessionId) throw platformErrors.unauthorized();
  const revoked = await revokeSessions(deps.db, { sessionId: caller.sessionId }, 'logout');
  await forgetSessions(deps, revoked.length > 0 ? revoked : [caller.sessionId], true);
  return {};
};
