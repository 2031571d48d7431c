import type { Handler } from '../../../shared/bus/bus.ts';
import { prepareTransaction } from '../../../shared/db/two-phase/index.ts';
import type { payments } from '../contract.ts';
import type { PaymentsDeps } from '../deps.ts';
import { asPaymentsError, checkSettlementGid, settlementPool } from '../two-phase/settlement-participant.ts';
import { settleInTransaction } from './settle.ts';

/** Votes on a rental settlement: the capture runs in a transaction left PREPAREd under gid, or fails (a "no"). */
export const prepareSettlement: Handler<typeof payments.ops.prepareSettlement, PaymentsDeps> = async (
  input,
  { deps, deadline },
) => {
  const { gid, ...capture } = input;
  checkSettlementGid(gid);
  const sql = settlementPool(deps.settlement);
  try {
    const vote = await prepareTransaction(
      sql,
      gid,
      async ({ db }) => {
        await settleInTransaction(db, capture);
      },
      { deadline },
    );
    return { gid, xid: vote.xid, alreadyPrepared: vote.alreadyPrepared };
  } catch (error) {
    throw asPaymentsError(error);
  }
};
