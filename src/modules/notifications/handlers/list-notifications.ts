import { and, count, desc, eq, isNull, lt, or, type SQL } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { notifications as contract } from '../contract.ts';
import { notifications } from '../db/schema.ts';
import type { NotificationsDeps } from '../deps.ts';
import { decodeCursor, encodeCursor } from '../domain/cursor.ts';
import { toNotification } from '../views.ts';

export const listNotifications: Handler<typeof contract.ops.listNotifications, NotificationsDeps> = async (
  input,
  { deps, caller },
) => {
  if (!caller) throw platformErrors.unauthorized();
  const mine = eq(notifications.userId, caller.userId);
  const unread = isNull(notifications.readAt);
  const where: SQL[] = [mine];
  if (input.unread === 'true') where.push(unread);
  if (input.cursor !== undefined) {
    const after = decodeCursor(input.cursor);
    if (!after)
      throw contract.error('invalidCursor', 'The cursor is not one this API returned; start again without it.');
    // Older than the last notification of the previous page, in (createdAt, id) order.
    where.push(
      or(
        lt(notifications.createdAt, after.createdAt),
        and(eq(notifications.createdAt, after.createdAt), lt(notifications.id, after.id)),
      )!,
    );
  }
  const [rows, [unreadCount]] = await Promise.all([
    deps.db
      .select()
      .from(notifications)
      .where(and(...where))
      .orderBy(desc(notifications.createdAt), desc(notifications.id))
      .limit(input.limit + 1),
    deps.db.select({ n: count() }).from(notifications).where(and(mine, unread)),
  ]);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(toNotification),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null,
    unreadCount: unreadCount?.n ?? 0,
  };
};
