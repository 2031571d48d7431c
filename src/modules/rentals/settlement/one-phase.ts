import { randomUUID } from 'node:crypto';
import type { Bus } from '../../../shared/bus/bus.ts';
import { systemContext, type CallContext } from '../../../shared/bus/context.ts';
import { AppError } from '../../../shared/bus/errors.ts';
import { runOnePhase } from '../../../shared/db/two-phase/index.ts';
import { payments } from '../../payments/contract.ts';
import type { RentalsDeps } from '../deps.ts';
import { operationIdOf } from '../domain/saga.ts';
import type { RentalRow } from '../saga/saga-store.ts';
import { completeIn } from './complete-rental.ts';

/** Whether a settlement can be tried in one local transaction: payments runs in this process (whether it shares the database, it says). */
export function mayShareTransaction(bus: Bus): boolean {
  return bus.hosts(payments.ops.settleInSharedTransaction.name);
}

/**
 * Settles a rental in ONE local transaction on rentals' database, which payments joins when
 * it lives in the same database and process (the one-phase optimisation): the rental
 * completed, rentalCompleted in the outbox, the fee to the owner and the deposit back, all
 * committed together or not at all; answers the completed rental. Answers 'notShared'
 * (nothing changed) when payments cannot join, so the caller settles with two-phase commit instead.
 */
export async function settleInOnePhase(
  deps: RentalsDeps,
  bus: Bus,
  row: RentalRow,
  ctx: CallContext,
): Promise<RentalRow | 'notShared'> {
  const transactionId = `rentals:settle:${row.id}:${randomUUID()}`;
  const { authorizationId } = row;
  try {
    return await runOnePhase(deps.db, transactionId, async (tx) => {
      const completed = await completeIn(tx, row.id, deps.publish, ctx, { notify: true });
      if (authorizationId) {
        await bus.call(
          payments.ops.settleInSharedTransaction,
          {
            transactionId,
            operationId: operationIdOf(row.id, 'capture'),
            authorizationId,
            payeeId: row.ownerId,
            currency: row.currency,
            feeAmount: row.feeAmount,
            platformFeeBasisPoints: deps.settings.platformFeeBasisPoints,
          },
          systemContext({ timeoutMs: deps.settings.prepareTimeoutMs }),
        );
      }
      await deps.faults.at('settle:before-commit', row);
      return completed;
    });
  } catch (error) {
    if (error instanceof AppError && error.code === 'payments.notInSharedTransaction') return 'notShared';
    throw error;
  }
}
