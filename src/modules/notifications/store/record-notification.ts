import { randomUUID } from 'node:crypto';
import type { Tx } from '../../../shared/db/database.ts';
import type { Envelope } from '../../../shared/events/envelope.ts';
import { notifications } from '../db/schema.ts';
import type { NotificationsDeps } from '../deps.ts';
import type { NotificationDraft } from '../domain/templates.ts';
import { announceOnCommit } from '../live/commit-relay.ts';
import { toNotification } from '../views.ts';

/**
 * Writes a notification an event caused, in the consumer's transaction: at most one per event
 * and user (source_message_id, user_id), announced to the live feed once the transaction commits.
 */
export async function recordNotification(
  tx: Tx,
  deps: Pick<NotificationsDeps, 'origin'>,
  cause: Envelope,
  draft: NotificationDraft,
): Promise<void> {
  const [row] = await tx
    .insert(notifications)
    .values({ id: randomUUID(), ...draft, sourceMessageId: cause.messageId })
    .onConflictDoNothing({ target: [notifications.sourceMessageId, notifications.userId] })
    .returning();
  if (row) await announceOnCommit(tx, toNotification(row), deps.origin);
}
