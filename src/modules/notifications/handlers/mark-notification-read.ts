import { and, eq, sql } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { notifications as contract } from '../contract.ts';
import { notifications } from '../db/schema.ts';
import type { NotificationsDeps } from '../deps.ts';
import { toNotification } from '../views.ts';

export const markNotificationRead: Handler<typeof contract.ops.markNotificationRead, NotificationsDeps> = async (
  input,
  { deps, caller },
) => {
  if (!caller) throw platformErrors.unauthorized();
  // Someone else's notification is as absent as one that never existed.
  const [row] = await deps.db
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
    .where(and(eq(notifications.id, input.id), eq(notifications.userId, caller.userId)))
    .returning();
  if (!row) throw contract.error('notificationNotFound', `No notification ${input.id}.`);
  return toNotification(row);
};
