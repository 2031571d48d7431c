import { randomUUID } from 'node:crypto';
import type { Handler } from '../../../shared/bus/bus.ts';
import { AppError } from '../../../shared/bus/errors.ts';
import { inventory } from '../../inventory/contract.ts';
import { rentals } from '../contract.ts';
import type { RentalsDeps } from '../deps.ts';
import { rentalCharges } from '../domain/charges.ts';
import { canRequestRental } from '../domain/eligibility.ts';
import { checkPeriod } from '../domain/period.ts';
import { driveSaga } from '../saga/run-saga.ts';
import { insertRental } from '../saga/saga-store.ts';
import { viewerOf } from './find-rental.ts';
import { outcomeOf } from './saga-outcome.ts';

/** Time kept back from the request's deadline to answer it. */
const ANSWER_MARGIN_MS = 300;

/**
 * Checks the request against the rules, records the rental (refusing an overlapping one),
 * then drives its saga and answers with the outcome.
 */
export const createRental: Handler<typeof rentals.ops.createRental, RentalsDeps> = async (input, ctx) => {
  const viewer = viewerOf(ctx);
  const { deps, bus } = ctx;
  const period = checkPeriod(input.from, input.to, new Date());
  if (!period.ok) throw rentals.error('invalidPeriod', period.problem);

  let item;
  try {
    item = await bus.call(inventory.ops.getItem, { id: input.itemId }, { ...ctx, deadline: Math.min(ctx.deadline, Date.now() + deps.settings.stepTimeoutMs) });
  } catch (error) {
    if (error instanceof AppError && error.code === 'inventory.itemNotFound') throw rentals.error('itemNotFound', `No item ${input.itemId}.`);
    throw error;
  }
  const eligible = canRequestRental(viewer.userId, item);
  if (!eligible.ok) throw rentals.error(eligible.reason, eligible.problem);
  const charged = rentalCharges(item.dailyPrice, item.deposit, period.days);
  if (!charged.ok) throw rentals.error(charged.reason === 'amountTooLarge' ? 'amountTooLarge' : 'itemUnavailable', charged.problem);
  const { charges } = charged;

  const lease = { rentalId: randomUUID(), token: randomUUID(), ms: deps.settings.leaseMs };
  await insertRental(
    deps.db,
    {
      id: lease.rentalId,
      itemId: item.id,
      ownerId: item.ownerId,
      renterId: viewer.userId,
      periodFrom: period.period.from,
      periodTo: period.period.to,
      days: period.days,
      currency: charges.currency,
      dailyPriceAmount: charges.dailyPrice,
      feeAmount: charges.fee,
      depositAmount: charges.deposit,
      totalAmount: charges.total,
    },
    lease,
  );
  const row = await driveSaga({ deps, bus, lease, origin: { requestId: ctx.requestId, trace: ctx.trace }, giveUpAt: ctx.deadline - ANSWER_MARGIN_MS });
  return outcomeOf(deps.db, row);
};
