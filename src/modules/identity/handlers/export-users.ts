import { sql } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { changedIn, changeOrder, changePage, changeWindow } from '../../../shared/db/change-feed.ts';
import type { identity } from '../contract.ts';
import { users } from '../db/schema.ts';
import type { IdentityDeps } from '../deps.ts';

// change_xid is kept by migration 0002_export_cursor, outside the drizzle schema.
const changeXid = sql`${users}.change_xid`;

export const exportUsers: Handler<typeof identity.ops.exportUsers, IdentityDeps> = async (input, { deps, caller }) => {
  if (caller) throw platformErrors.forbidden('Only the platform itself exports users.');
  const window = await changeWindow(deps.db, input);
  const rows = await deps.db
    .select({ id: users.id, role: users.role, createdAt: users.createdAt, changeXid: sql<string>`${changeXid}::text` })
    .from(users)
    .where(changedIn(window, changeXid, users.id))
    .orderBy(...changeOrder(changeXid, users.id))
    .limit(input.limit);
  return changePage(
    rows,
    window,
    input.limit,
    (r) => r.id,
    (r) => ({ id: r.id, role: r.role, registeredAt: r.createdAt.toISOString() }),
  );
};
