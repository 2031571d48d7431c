import type { Bus } from '../../../shared/bus/bus.ts';
import type { CallContext } from '../../../shared/bus/context.ts';
import { AppError } from '../../../shared/bus/errors.ts';
import { inventory } from '../../inventory/contract.ts';
import { payments } from '../../payments/contract.ts';
import { isNoAnswer, operationIdOf } from '../domain/saga.ts';
import type { RentalRow } from './saga-store.ts';

/** What a remote saga step returns to be recorded with it. */
export type StepResult = Record<string, unknown>;

const holdReference = (rental: RentalRow) => `rental:${rental.id}`;

/** The hold of fee + deposit, keyed by the rental: repeating it returns the first hold. */
function authorize(bus: Bus, rental: RentalRow, ctx: CallContext) {
  return bus.call(
    payments.ops.authorizePayment,
    {
      operationId: operationIdOf(rental.id, 'authorize'),
      payerId: rental.renterId,
      amount: rental.totalAmount,
      currency: rental.currency,
      reference: holdReference(rental),
    },
    ctx,
  );
}

/** What the item check needs of an item. */
export interface ItemToReserve {
  id: string;
  status: string;
  version: number;
}

/** The item can still be rented: listed, not unlisted or retired since the request was checked. */
export function checkItem(item: ItemToReserve): StepResult {
  if (item.status === 'retired')
    throw new AppError(
      'inventory.itemRetired',
      'conflict',
      `Item ${item.id} was withdrawn and can no longer be rented.`,
    );
  if (item.status === 'unlisted')
    throw new AppError('inventory.itemUnlisted', 'conflict', `Item ${item.id} is unlisted and takes no new bookings.`);
  return { itemVersion: item.version };
}

/**
 * Forward: the item can still be rented, as inventory has it now. The period itself is held by
 * the rental's row (the exclusion constraint), so nothing changes on the item.
 */
export async function reserveItem(bus: Bus, rental: RentalRow, ctx: CallContext): Promise<StepResult> {
  return checkItem(await bus.call(inventory.ops.getItem, { id: rental.itemId }, ctx));
}

/** Forward: holds fee + deposit in the renter's wallet. */
export async function authorizePayment(bus: Bus, rental: RentalRow, ctx: CallContext): Promise<StepResult> {
  const authorization = await authorize(bus, rental, ctx);
  return { authorizationId: authorization.id };
}

/**
 * Compensation: gives the whole hold back. When the hold's id was never recorded (the payment
 * step got no answer, or the process died before writing it), it is looked up by repeating the
 * authorization under the same operation key: that returns the hold if there is one, and a
 * clear refusal (insufficient funds) means nothing was held.
 */
export async function voidAuthorization(bus: Bus, rental: RentalRow, ctx: CallContext): Promise<StepResult> {
  let authorizationId = rental.authorizationId;
  if (!authorizationId) {
    if (rental.totalAmount === 0) return { voided: false };
    try {
      authorizationId = (await authorize(bus, rental, ctx)).id;
    } catch (error) {
      if (error instanceof AppError && !isNoAnswer(error.kind)) return { voided: false, because: error.code };
      throw error;
    }
  }
  try {
    const voided = await bus.call(
      payments.ops.voidAuthorization,
      { operationId: operationIdOf(rental.id, 'void'), authorizationId },
      ctx,
    );
    return { voided: true, authorizationId: voided.id };
  } catch (error) {
    if (error instanceof AppError && error.code === 'payments.authorizationNotFound')
      return { voided: false, because: error.code };
    throw error;
  }
}
