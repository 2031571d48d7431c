import { eq } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { rentals } from '../../rentals/contract.ts';
import { identity } from '../contract.ts';
import { users } from '../db/schema.ts';
import type { IdentityDeps } from '../deps.ts';
import { isAdmin } from '../domain/users.ts';
import { forgetSessions, revokeSessions } from '../store/sessions.ts';

export const deleteUser: Handler<typeof identity.ops.deleteUser, IdentityDeps> = async (input, ctx) => {
  const { deps, caller } = ctx;
  if (!isAdmin(caller)) throw identity.error('notAdmin', 'Only admins can delete users.');
  // An item out on rent must come back and settle with both parties' accounts in place.
  const { count } = await ctx.bus.call(rentals.ops.countHandedOverRentals, { userId: input.id }, ctx);
  if (count > 0)
    throw identity.error(
      'activeRentals',
      `User ${input.id} is party to ${count} rental${count === 1 ? '' : 's'} handed over and not yet returned; return ${count === 1 ? 'it' : 'them'} first.`,
    );
  const revoked = await deps.db.transaction(async (tx) => {
    const ids = await revokeSessions(tx, { userId: input.id }, 'user deleted');
    const deleted = await tx.delete(users).where(eq(users.id, input.id)).returning({ id: users.id });
    if (deleted.length === 0) throw identity.error('userNotFound', `No user ${input.id}.`);
    await deps.publish(
      tx,
      identity.events.userDeleted,
      { userId: input.id, deletedAt: new Date().toISOString() },
      { aggregateId: input.id, ctx },
    );
    return ids;
  });
  await forgetSessions(deps, revoked, true);
  return {};
};
