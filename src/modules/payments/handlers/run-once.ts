import { eq } from 'drizzle-orm';
import type { Tx } from '../../../shared/db/database.ts';
import { payments } from '../contract.ts';
import { operations } from '../db/schema.ts';
import { fingerprintOf, type KeyedCommand } from '../domain/operations.ts';

export interface OperationKey {
  operationId: string;
  command: KeyedCommand;
  /** Every parameter but the key itself: a repeat must send the same ones. */
  params: Record<string, unknown>;
}

/**
 * Runs a command at most once per operation key, inside the caller's transaction. The key
 * is claimed first (a unique insert, so a concurrent repeat waits for this transaction and
 * then finds its result); a repeat with the same parameters gets the first result, one with
 * other parameters operationKeyReused. A command that fails records nothing: the claim rolls
 * back with its transaction and a retry runs it afresh.
 */
export async function runOnce<T>(
  tx: Tx,
  key: OperationKey,
  work: () => Promise<{ result: T; authorizationId: string }>,
): Promise<T> {
  const fingerprint = fingerprintOf(key.command, key.params);
  const claimed = await tx
    .insert(operations)
    .values({ operationId: key.operationId, command: key.command, fingerprint })
    .onConflictDoNothing()
    .returning({ operationId: operations.operationId });
  if (claimed.length === 0) {
    const [earlier] = await tx.select().from(operations).where(eq(operations.operationId, key.operationId));
    if (!earlier || earlier.result === null)
      throw new Error(`Operation ${key.operationId} is claimed but has no result`);
    if (earlier.fingerprint !== fingerprint) {
      const what = earlier.command === key.command ? 'with other parameters' : `for ${earlier.command}`;
      throw payments.error(
        'operationKeyReused',
        `Operation key ${key.operationId} was already used ${what}; use a new key for a new operation.`,
      );
    }
    return earlier.result as T;
  }
  const { result, authorizationId } = await work();
  await tx.update(operations).set({ result, authorizationId }).where(eq(operations.operationId, key.operationId));
  return result;
}
