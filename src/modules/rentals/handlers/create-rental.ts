import { randomUUID } from 'node:crypto';
import type { Handler, HandlerContext } from '../../../shared/bus/bus.ts';
import { AppError } from '../../../shared/bus/errors.ts';
import { inventory } from '../../inventory/contract.ts';
import { rentals } from '../contract.ts';
import type { RentalsDeps } from '../deps.ts';
import { rentalCharges } from '../domain/charges.ts';
import { canRequestRental } from '../domain/eligibility.ts';
import { checkPeriod } from '../domain/period.ts';
import { isSameRequest, type RentalRequest } from '../domain/request-key.ts';
import { driveSaga, joinSaga, type SagaDrive } from '../saga/run-saga.ts';
import { findByRequestKey, insertRental, type RentalRow } from '../saga/saga-store.ts';
import { viewerOf } from './find-rental.ts';
import { outcomeOf } from './saga-outcome.ts';

/** Time kept back from the request's deadline to answer it. */
const ANSWER_MARGIN_MS = 300;

/**
 * Checks the request against the rules, records the rental (refusing an overlapping one),
 * then drives its saga and answers with the outcome. A retry under the request key of an
 * earlier request answers with that rental's outcome, taking its saga over if no one drives it.
 */
export const createRental: Handler<typeof rentals.ops.createRental, RentalsDeps> = async (input, ctx) => {
  const viewer = viewerOf(ctx);
  const { deps, bus } = ctx;
  const drive: Omit<SagaDrive, 'lease'> = {
    deps,
    bus,
    origin: { requestId: ctx.requestId, trace: ctx.trace },
    giveUpAt: ctx.deadline - ANSWER_MARGIN_MS,
  };
  const retried =
    input.requestKey === undefined ? undefined : await findByRequestKey(deps.db, viewer.userId, input.requestKey);
  if (retried) return answerRetry(drive, retried, input);

  const period = checkPeriod(input.from, input.to, new Date(), deps.settings);
  if (!period.ok) throw rentals.error(period.reason, period.problem);
  const item = await itemToRent(input.itemId, ctx);
  const eligible = canRequestRental(viewer.userId, item);
  if (!eligible.ok) throw rentals.error(eligible.reason, eligible.problem);
  const charged = rentalCharges(item.dailyPrice, item.deposit, period.days);
  if (!charged.ok)
    throw rentals.error(charged.reason === 'amountTooLarge' ? 'amountTooLarge' : 'itemUnavailable', charged.problem);
  const { charges } = charged;

  const lease = { token: randomUUID(), ms: deps.settings.leaseMs };
  const takenAt = Date.now();
  const { row, fresh } = await insertRental(
    deps.db,
    {
      id: randomUUID(),
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
      requestKey: input.requestKey ?? null,
    },
    lease,
  );
  if (!fresh) return answerRetry(drive, row, input);
  return outcomeOf(
    deps.db,
    await driveSaga({ ...drive, lease: { rentalId: row.id, ...lease }, taken: { at: takenAt, rental: row, item } }),
  );
};

/** The item, within one step's time; an unknown one is the rentals error. */
async function itemToRent(itemId: string, ctx: HandlerContext<RentalsDeps>) {
  try {
    return await ctx.bus.call(
      inventory.ops.getItem,
      { id: itemId },
      { ...ctx, deadline: Math.min(ctx.deadline, Date.now() + ctx.deps.settings.stepTimeoutMs) },
    );
  } catch (error) {
    if (error instanceof AppError && error.code === 'inventory.itemNotFound')
      throw rentals.error('itemNotFound', `No item ${itemId}.`);
    throw error;
  }
}

async function answerRetry(drive: Omit<SagaDrive, 'lease'>, row: RentalRow, request: RentalRequest) {
  if (!isSameRequest({ itemId: row.itemId, from: row.periodFrom, to: row.periodTo }, request)) {
    throw rentals.error(
      'requestKeyReused',
      `This request key was already used for rental ${row.id} of another item or period; use a new key.`,
    );
  }
  return outcomeOf(drive.deps.db, await joinSaga(drive, row));
}
