import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { identity } from '../contract.ts';
import { users } from '../db/schema.ts';
import type { IdentityDeps } from '../deps.ts';
import { hashPassword } from '../domain/passwords.ts';
import { normalizeEmail } from '../domain/users.ts';
import { forgetUserSessions } from '../store/sessions.ts';
import { toUser } from '../views.ts';

/** Creates the admin account, or promotes the existing account with that email (password kept). */
export const ensureAdmin: Handler<typeof identity.ops.ensureAdmin, IdentityDeps> = async (input, ctx) => {
  const { deps } = ctx;
  const email = normalizeEmail(input.email);
  const [existing] = await deps.db
    .update(users)
    .set({ role: 'admin', updatedAt: new Date() })
    .where(eq(sql`lower(${users.email})`, email))
    .returning();
  if (existing) {
    await forgetUserSessions(deps, existing.id);
    return toUser(existing);
  }
  const passwordHash = await hashPassword(input.password);
  const row = await deps.db.transaction(async (tx) => {
    const [user] = await tx
      .insert(users)
      .values({ id: randomUUID(), email, displayName: input.displayName, role: 'admin', passwordHash })
      .onConflictDoNothing()
      .returning();
    if (user)
      await deps.publish(
        tx,
        identity.events.userRegistered,
        { userId: user.id, displayName: user.displayName },
        { aggregateId: user.id, ctx },
      );
    return user;
  });
  return toUser(
    row ??
      (
        await deps.db
          .select()
          .from(users)
          .where(eq(sql`lower(${users.email})`, email))
      )[0]!,
  );
};
