import type { Tx } from '../../../shared/db/database.ts';
import type { EventMessage } from '../../../shared/events/envelope.ts';
import { applyOwnerFact } from './owner-store.ts';
import { applyEvent } from './projection-state.ts';

/** identity.userDeleted: the name leaves the owner's items for good. */
export async function forgetOwner(message: EventMessage<{ userId: string }>, tx: Tx): Promise<void> {
  const fact = { kind: 'deleted' as const, at: new Date(message.envelope.occurredAt) };
  await applyEvent(tx, message.envelope.occurredAt, (tables) =>
    applyOwnerFact(tx, tables, message.payload.userId, fact),
  );
}
