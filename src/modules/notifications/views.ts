import type { z } from 'zod';
import type { notificationSchema } from './contract.ts';
import type { notifications } from './db/schema.ts';

export type NotificationRow = typeof notifications.$inferSelect;

/** The contract's view of a notification row. */
export function toNotification(row: NotificationRow): z.output<typeof notificationSchema> {
  return {
    id: row.id,
    userId: row.userId,
    kind: row.kind,
    title: row.title,
    body: row.body,
    data: row.data,
    createdAt: row.createdAt.toISOString(),
    readAt: row.readAt?.toISOString() ?? null,
  };
}
