import type { z } from 'zod';
import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import type { identity } from '../../identity/contract.ts';
import type { NotificationsDeps } from '../deps.ts';
import { welcome } from '../domain/templates.ts';
import { recordNotification } from '../store/record-notification.ts';

type UserRegistered = z.output<typeof identity.events.userRegistered.payload>;

/** identity.userRegistered: a welcome in the new member's inbox. */
export async function welcomeUser(
  message: EventMessage<UserRegistered>,
  tx: Tx,
  deps: NotificationsDeps,
): Promise<void> {
  await recordNotification(tx, deps, message.envelope, welcome(message.payload));
}
