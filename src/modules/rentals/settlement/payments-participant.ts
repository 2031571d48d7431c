import type { Bus } from '../../../shared/bus/bus.ts';
import { systemContext } from '../../../shared/bus/context.ts';
import type { ParticipantFinisher, TwoPhaseParticipant } from '../../../shared/db/two-phase/index.ts';
import { payments } from '../../payments/contract.ts';
import { operationIdOf } from '../domain/saga.ts';
import type { RentalRow } from '../saga/saga-store.ts';

export const PAYMENTS = 'payments';

/** How the coordinator finishes payments' share, in this process or over the bus. */
export function paymentsFinisher(bus: Bus, timeoutMs: number): ParticipantFinisher {
  const finish = async (gid: string, decision: 'commit' | 'rollback', xid: string | undefined) => {
    await bus.call(
      payments.ops.finishPrepared,
      { gid, decision, ...(xid ? { xid } : {}) },
      systemContext({ timeoutMs }),
    );
  };
  return {
    name: PAYMENTS,
    commit: (gid, vote) => finish(gid, 'commit', vote?.xid),
    rollback: (gid, vote) => finish(gid, 'rollback', vote?.xid),
  };
}

/** payments' share of settling a rental: capture the fee to the owner, the deposit back to the renter, prepared under the GID. */
export function paymentsParticipant(
  bus: Bus,
  rental: RentalRow,
  options: { timeoutMs: number; platformFeeBasisPoints: number },
): TwoPhaseParticipant {
  const { authorizationId } = rental;
  if (!authorizationId) throw new Error(`Rental ${rental.id} has no payment to settle`);
  return {
    ...paymentsFinisher(bus, options.timeoutMs),
    async prepare(gid) {
      const vote = await bus.call(
        payments.ops.prepareSettlement,
        {
          gid,
          operationId: operationIdOf(rental.id, 'capture'),
          authorizationId,
          payeeId: rental.ownerId,
          currency: rental.currency,
          feeAmount: rental.feeAmount,
          platformFeeBasisPoints: options.platformFeeBasisPoints,
        },
        systemContext({ timeoutMs: options.timeoutMs }),
      );
      return { xid: vote.xid };
    },
  };
}
