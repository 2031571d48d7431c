import { randomUUID } from 'node:crypto';
import type { Handler } from '../../../shared/bus/bus.ts';
import { isUniqueViolation } from '../../../shared/db/errors.ts';
import { identity } from '../contract.ts';
import { users } from '../db/schema.ts';
import type { IdentityDeps } from '../deps.ts';
import { passwordWeakness } from '../domain/password-strength.ts';
import { hashPassword } from '../domain/passwords.ts';
import { normalizeEmail } from '../domain/users.ts';
import { toUser } from '../views.ts';

export const register: Handler<typeof identity.ops.register, IdentityDeps> = async (input, ctx) => {
  const { deps } = ctx;
  const weakness = passwordWeakness(input.password, input.email);
  if (weakness) throw identity.error('weakPassword', `The password is too weak: ${weakness}.`);
  const passwordHash = await hashPassword(input.password);
  try {
    const row = await deps.db.transaction(async (tx) => {
      const [user] = await tx
        .insert(users)
        .values({ id: randomUUID(), email: normalizeEmail(input.email), displayName: input.displayName, passwordHash })
        .returning();
      await deps.publish(
        tx,
        identity.events.userRegistered,
        { userId: user!.id, displayName: user!.displayName },
        { aggregateId: user!.id, ctx },
      );
      return user!;
    });
    return toUser(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw identity.error('emailTaken', 'An account with this email already exists.');
    throw error;
  }
};
