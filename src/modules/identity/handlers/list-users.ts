import { count, desc } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { identity } from '../contract.ts';
import { users } from '../db/schema.ts';
import type { IdentityDeps } from '../deps.ts';
import { isAdmin } from '../domain/users.ts';
import { toUser } from '../views.ts';

export const listUsers: Handler<typeof identity.ops.listUsers, IdentityDeps> = async (input, { deps, caller }) => {
  if (!isAdmin(caller)) throw identity.error('notAdmin', 'Only admins can list users.');
  const [rows, [total]] = await Promise.all([
    deps.db.select().from(users).orderBy(desc(users.createdAt), desc(users.id)).limit(input.limit).offset(input.offset),
    deps.db.select({ n: count() }).from(users),
  ]);
  return { items: rows.map(toUser), total: total?.n ?? 0, limit: input.limit, offset: input.offset };
};
