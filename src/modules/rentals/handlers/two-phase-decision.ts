import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { TwoPhaseInvalidGid } from '../../../shared/db/two-phase/index.ts';
import { rentals } from '../contract.ts';
import type { RentalsDeps } from '../deps.ts';

/** A participant's question about a settlement it holds prepared, answered from the coordinator's log. */
export const twoPhaseDecision: Handler<typeof rentals.ops.twoPhaseDecision, RentalsDeps> = async (input, { deps }) => {
  const { settlement } = deps;
  if (settlement.kind !== 'ready') throw rentals.error('settlementUnavailable', settlement.reason.message);
  try {
    return { decision: await settlement.coordinator.decisionFor(input.gid) };
  } catch (error) {
    if (error instanceof TwoPhaseInvalidGid) throw platformErrors.validation([{ path: 'gid', message: error.message }]);
    throw error;
  }
};
