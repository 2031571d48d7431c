import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../../../shared/db/database.ts';
import { payments } from '../contract.ts';
import { authorizations } from '../db/schema.ts';
import type { AuthorizationPlan, AuthorizationState } from '../domain/authorizations.ts';
import type { AuthorizationRow } from './authorization-view.ts';
import { postTransaction, type Posting } from './post-transaction.ts';

/**
 * Locks an authorization, decides from its current state what the command does (domain
 * rules), and posts the resulting ledger transaction with the new state, in the caller's
 * transaction. A decision of "unchanged" (already done) returns the row as it is.
 */
export async function changeAuthorization(
  tx: Tx,
  id: string,
  kind: Exclude<Posting['kind'], 'top_up' | 'authorization'>,
  decide: (auth: AuthorizationState) => AuthorizationPlan,
): Promise<AuthorizationRow> {
  const [row] = await tx.select().from(authorizations).where(eq(authorizations.id, id)).for('update');
  if (!row) throw payments.error('authorizationNotFound', `No authorization ${id}.`);
  const plan = decide(row);
  switch (plan.kind) {
    case 'unchanged':
      return row;
    case 'illegal':
      throw payments.error('illegalTransition', plan.detail);
    case 'currencyMismatch':
      throw payments.error('currencyMismatch', plan.detail);
    case 'exceedsAuthorization':
      throw payments.error('captureExceedsAuthorization', plan.detail);
    case 'post':
      break;
  }
  await postTransaction(tx, {
    kind,
    currency: row.currency,
    authorizationId: id,
    reference: row.reference,
    legs: plan.legs,
  });
  const [changed] = await tx
    .update(authorizations)
    .set({ ...plan.changes, updatedAt: sql`now()` })
    .where(eq(authorizations.id, id))
    .returning();
  return changed!;
}
