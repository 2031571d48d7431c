import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import type { identity } from '../contract.ts';
import type { IdentityDeps } from '../deps.ts';
import { findUser } from '../store/find-user.ts';
import { toUser } from '../views.ts';

export const getMe: Handler<typeof identity.ops.getMe, IdentityDeps> = async (_input, { deps, caller }) => {
  if (!caller) throw platformErrors.unauthorized();
  return toUser(await findUser(deps.db, caller.userId));
};
