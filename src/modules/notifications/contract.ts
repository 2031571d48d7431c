import { z } from 'zod';
import { defineContract, op } from '../../shared/bus/contract.ts';
import { deadLetterErrors, deadLetterOps } from '../../shared/events/dead-letters.ts';

/** What a notification is about; one kind per event it reacts to. */
export const notificationKindSchema = z.enum([
  'welcome',
  'itemListed',
  'itemReserved',
  'itemInUse',
  'itemReturned',
  'itemReleased',
  'rentalConfirmed',
  'rentalCompleted',
  'rentalCancelled',
]);

/** A message in a user's notification inbox. */
export const notificationSchema = z
  .object({
    id: z.uuid(),
    userId: z.uuid().describe('The user the notification is for'),
    kind: notificationKindSchema,
    title: z.string(),
    body: z.string(),
    data: z
      .record(z.string(), z.unknown())
      .describe(
        'Ids and facts the notification is about, e.g. itemId, status; for rentals rentalId, from, to and role (owner or renter)',
      ),
    createdAt: z.iso.datetime(),
    readAt: z.iso.datetime().nullable().describe('When the user marked it read; null while unread'),
  })
  .meta({ id: 'Notification' });

export const notifications = defineContract({
  name: 'notifications',
  version: 1,
  errors: {
    notificationNotFound: 'not_found',
    invalidCursor: 'invalid',
    ...deadLetterErrors,
  },
  ops: {
    // The caller's inbox, newest first, a page at a time, with how many are still unread.
    listNotifications: op({
      kind: 'query',
      summary: 'List my notifications',
      input: z.strictObject({
        unread: z.enum(['true', 'false']).optional().describe('true: only notifications not read yet'),
        limit: z.coerce.number().int().min(1).max(100).default(20),
        cursor: z.string().min(1).max(200).optional().describe('nextCursor of the previous page; omit for the newest'),
      }),
      output: z.object({
        items: z.array(notificationSchema),
        nextCursor: z.string().nullable().describe('Pass as cursor for the next (older) page; null on the last page'),
        unreadCount: z.int().describe('Unread notifications in the whole inbox, whatever the page'),
      }),
      errors: ['invalidCursor'],
      http: {
        method: 'get',
        path: '/v1/notifications',
        status: 200,
        auth: 'required',
        tag: 'Notifications',
        query: ['unread', 'limit', 'cursor'],
        description:
          'Keyset pagination: notifications arriving while you page do not shift or repeat entries. Live updates: GET /v1/notifications/stream.',
      },
    }),
    // The caller has seen a notification; marking it again keeps the first read time.
    markNotificationRead: op({
      kind: 'command',
      summary: 'Mark a notification read',
      input: z.strictObject({ id: z.uuid() }),
      output: notificationSchema,
      errors: ['notificationNotFound'],
      idempotent: true,
      http: {
        method: 'post',
        path: '/v1/notifications/{id}/read',
        status: 200,
        auth: 'required',
        tag: 'Notifications',
        params: ['id'],
      },
    }),
    ...deadLetterOps('notifications'),
  },
});
