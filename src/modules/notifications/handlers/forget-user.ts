import { eq } from 'drizzle-orm';
import type { z } from 'zod';
import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import type { identity } from '../../identity/contract.ts';
import { notifications } from '../db/schema.ts';

type UserDeleted = z.output<typeof identity.events.userDeleted.payload>;

/** identity.userDeleted: a deleted account's inbox goes with it. */
export async function forgetUser(message: EventMessage<UserDeleted>, tx: Tx): Promise<void> {
  await tx.delete(notifications).where(eq(notifications.userId, message.payload.userId));
}
