import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../../shared/db/database.ts';
import type { ReadModelTables } from '../db/schema.ts';
import { mergeOwner, type OwnerFact } from '../domain/owner-merge.ts';

/** Before any fact: an unknown owner. */
const NEVER = new Date(0);

/**
 * Applies a fact about an owner to one copy of the read model and, when the name changed,
 * writes it into every item of that owner (the denormalized owner_name). Returns whether
 * anything changed.
 */
export async function applyOwnerFact(
  tx: Tx,
  tables: ReadModelTables,
  userId: string,
  fact: OwnerFact,
): Promise<boolean> {
  const { owners, items } = tables;
  await tx.insert(owners).values({ userId, displayName: null, changedAt: NEVER, deleted: false }).onConflictDoNothing();
  const [row] = await tx.select().from(owners).where(eq(owners.userId, userId)).for('update');
  const current = row!.changedAt.getTime() === NEVER.getTime() ? undefined : row!;
  const next = mergeOwner(current, fact);
  if (!next) return false;
  await tx.update(owners).set(next).where(eq(owners.userId, userId));
  await tx
    .update(items)
    .set({ ownerName: next.displayName })
    .where(and(eq(items.ownerId, userId), sql`${items.ownerName} is distinct from ${next.displayName}`));
  return true;
}
