import type { Handler } from '../../../shared/bus/bus.ts';
import type { identity } from '../contract.ts';
import type { IdentityDeps } from '../deps.ts';
import { findUser } from '../store/find-user.ts';

export const getPublicProfile: Handler<typeof identity.ops.getPublicProfile, IdentityDeps> = async (
  input,
  { deps },
) => {
  const user = await findUser(deps.db, input.id);
  return { id: user.id, displayName: user.displayName };
};
