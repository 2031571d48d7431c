import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import { applyOwnerFact } from './owner-store.ts';
import { applyEvent } from './projection-state.ts';

/** identity.userRegistered and identity.userProfileChanged: the name shown on the user's items. */
export async function projectOwnerName(
  message: EventMessage<{ userId: string; displayName: string }>,
  tx: Tx,
): Promise<void> {
  const { userId, displayName } = message.payload;
  const fact = { kind: 'named' as const, displayName, at: new Date(message.envelope.occurredAt) };
  await applyEvent(tx, message.envelope.occurredAt, (tables) => applyOwnerFact(tx, tables, userId, fact));
}
