import type { Handler } from '../../../shared/bus/bus.ts';
import { joinOnePhase } from '../../../shared/db/two-phase/index.ts';
import { payments } from '../contract.ts';
import type { PaymentsDeps } from '../deps.ts';
import { settleIn } from './settle.ts';

/**
 * Settles a rental (fee to the owner, deposit back) inside the coordinator's one-phase
 * transaction, which commits or rolls back with rentals' share; refused (so rentals uses
 * two-phase commit) when this call does not run inside it on payments' own database.
 */
export const settleInSharedTransaction: Handler<typeof payments.ops.settleInSharedTransaction, PaymentsDeps> = async (
  input,
  { deps },
) => {
  const { transactionId, ...capture } = input;
  const tx = joinOnePhase(deps.db, transactionId);
  if (!tx)
    throw payments.error(
      'notInSharedTransaction',
      `Payments does not share transaction ${transactionId} (another process or database); settle with two-phase commit.`,
    );
  const settled = await settleIn(tx, capture);
  return { authorizationId: settled.id, status: settled.status };
};
