import { eq } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { identity } from '../contract.ts';
import { users } from '../db/schema.ts';
import type { IdentityDeps } from '../deps.ts';
import { passwordWeakness } from '../domain/password-strength.ts';
import { hashPassword, verifyPassword } from '../domain/passwords.ts';
import { findUser } from '../store/find-user.ts';
import { forgetSessions, revokeSessions } from '../store/sessions.ts';
import { toUser } from '../views.ts';

export const updateMe: Handler<typeof identity.ops.updateMe, IdentityDeps> = async (input, ctx) => {
  const { deps, caller } = ctx;
  if (!caller) throw platformErrors.unauthorized();
  const current = await findUser(deps.db, caller.userId);
  const changes: Partial<typeof users.$inferInsert> = { updatedAt: new Date() };
  if (input.displayName !== undefined) changes.displayName = input.displayName;
  if (input.password !== undefined) {
    if (!(await verifyPassword(input.currentPassword ?? '', current.passwordHash))) {
      throw identity.error('wrongPassword', 'The current password is wrong.');
    }
    const weakness = passwordWeakness(input.password, current.email);
    if (weakness) throw identity.error('weakPassword', `The password is too weak: ${weakness}.`);
    changes.passwordHash = await hashPassword(input.password);
  }
  let revoked: string[] = [];
  const row = await deps.db.transaction(async (tx) => {
    const [user] = await tx.update(users).set(changes).where(eq(users.id, caller.userId)).returning();
    if (!user) throw identity.error('userNotFound', `No user ${caller.userId}.`);
    // Whoever knew the old password is logged out everywhere but here.
    if (changes.passwordHash)
      revoked = await revokeSessions(
        tx,
        { userId: caller.userId, exceptSessionId: caller.sessionId },
        'password changed',
      );
    if (user.displayName !== current.displayName) {
      await deps.publish(
        tx,
        identity.events.userProfileChanged,
        { userId: user.id, displayName: user.displayName },
        { aggregateId: user.id, ctx },
      );
    }
    return user;
  });
  await forgetSessions(deps, revoked, true);
  return toUser(row);
};
