import type { Handler } from '../../../shared/bus/bus.ts';
import { commitPrepared, rollbackPrepared } from '../../../shared/db/two-phase/index.ts';
import type { payments } from '../contract.ts';
import type { PaymentsDeps } from '../deps.ts';
import { asPaymentsError, checkSettlementGid, settlementPool } from '../two-phase/settlement-participant.ts';

/** Commits or rolls back a prepared settlement as rentals decided; a settlement already finished is 'absent'. */
export const finishPrepared: Handler<typeof payments.ops.finishPrepared, PaymentsDeps> = async (input, { deps }) => {
  checkSettlementGid(input.gid);
  const sql = settlementPool(deps.settlement);
  const options = input.xid ? { xid: input.xid } : {};
  try {
    const outcome =
      input.decision === 'commit'
        ? await commitPrepared(sql, input.gid, options)
        : await rollbackPrepared(sql, input.gid, options);
    return { gid: input.gid, outcome };
  } catch (error) {
    throw asPaymentsError(error);
  }
};
