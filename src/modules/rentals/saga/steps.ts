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
    { operationId: operationIdOf(rental.id, 'authorize'), payerId: rental.renterId, amount: rental.totalAmount, currency: rental.currency, reference: holdReference(rental) },
    ctx,
  );
}

/** Forward: holds the item for this rental (the rental id is the reservation id). */
export async function reserveItem(bus: Bus, rental: RentalRow, ctx: CallContext): Promise<StepResult> {
  const item = await bus.call(inventory.ops.reserveItem, { id: rental.itemId, reservationId: rental.id }, ctx);
  return { itemVersion: item.version };
}

/** Forward: holds fee + deposit in the renter's wallet. */
export async function authorizePayment(bus: Bus, rental: RentalRow, ctx: CallContext): Promise<StepResult> {
  const authorization = await authorize(bus, rental, ctx);
  return { authorizationId: authorization.id };
}

/** Forward: the renter has the item. */
export async function markItemInUse(bus: Bus, rental: RentalRow, ctx: CallContext): Promise<StepResult> {
  const item = await bus.call(inventory.ops.markItemInUse, { id: rental.itemId, reservationId: rental.id }, ctx);
  return { itemVersion: item.version };
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
    const voided = await bus.call(payments.ops.voidAuthorization, { operationId: operationIdOf(rental.id, 'void'), authorizationId }, ctx);
    return { voided: true, authorizationId: voided.id };
  } catch (error) {
    if (error instanceof AppError && error.code === 'payments.authorizationNotFound') return { voided: false, because: error.code };
    throw error;
  }
}

/**
 * Compensation: frees the item if this rental still holds it, whether it is reserved or
 * already in use (a repeat after a race re-reads the item); succeeds when it holds nothing.
 */
export async function releaseItem(bus: Bus, rental: RentalRow, ctx: CallContext): Promise<StepResult> {
  for (let attempt = 1; ; attempt++) {
    let item;
    try {
      item = await bus.call(inventory.ops.getItem, { id: rental.itemId }, ctx);
    } catch (error) {
      if (error instanceof AppError && error.code === 'inventory.itemNotFound') return { released: false };
      throw error;
    }
    if (item.reservationId !== rental.id) return { released: false };
    const step = { id: rental.itemId, reservationId: rental.id };
    try {
      if (item.status === 'in_use') await bus.call(inventory.ops.markItemReturned, step, ctx);
      else await bus.call(inventory.ops.releaseItem, step, ctx);
      return { released: true, from: item.status };
    } catch (error) {
      // The item moved between the read and the write (a late step landing): read it again.
      if (attempt < 3 && error instanceof AppError && (error.code === 'inventory.illegalTransition' || error.code === 'inventory.versionMismatch')) continue;
      throw error;
    }
  }
}
