import { eq } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { identity } from '../contract.ts';
import { users } from '../db/schema.ts';
import type { IdentityDeps } from '../deps.ts';
import { isAdmin } from '../domain/users.ts';
import { forgetUserSessions } from '../store/sessions.ts';
import { toUser } from '../views.ts';

export const updateUser: Handler<typeof identity.ops.updateUser, IdentityDeps> = async (input, { deps, caller }) => {
  if (!isAdmin(caller)) throw identity.error('notAdmin', 'Only admins can change roles.');
  const [row] = await deps.db
    .update(users)
    .set({ role: input.role, updatedAt: new Date() })
    .where(eq(users.id, input.id))
    .returning();
  if (!row) throw identity.error('userNotFound', `No user ${input.id}.`);
  // Drop cached session state so the new role is seen on the next request.
  await forgetUserSessions(deps, input.id);
  return toUser(row);
};
