import type { z } from 'zod';
import type { rentalDetailsSchema, rentalSchema } from '../contract.ts';
import type { RentalRow, StepRow } from '../saga/saga-store.ts';

export type RentalView = z.output<typeof rentalSchema>;
export type RentalDetailsView = z.output<typeof rentalDetailsSchema>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The contract's view of a rental row. */
export function toRental(row: RentalRow): RentalView {
  const money = (amount: number) => ({ amount, currency: row.currency });
  return {
    id: row.id,
    itemId: row.itemId,
    ownerId: row.ownerId,
    renterId: row.renterId,
    from: row.periodFrom.toISOString(),
    to: row.periodTo.toISOString(),
    days: row.days,
    status: row.status,
    dailyPrice: money(row.dailyPriceAmount),
    fee: money(row.feeAmount),
    deposit: money(row.depositAmount),
    total: money(row.totalAmount),
    authorizationId: row.authorizationId,
    failure: row.failureCode ? { code: row.failureCode, detail: row.failureDetail ?? '' } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    confirmedAt: iso(row.confirmedAt),
    handedOverAt: iso(row.handedOverAt),
    cancelledAt: iso(row.cancelledAt),
    completedAt: iso(row.completedAt),
  };
}

/** A rental with its saga steps. */
export function toRentalDetails(row: RentalRow, steps: readonly StepRow[]): RentalDetailsView {
  return {
    ...toRental(row),
    steps: steps.map((s) => ({
      name: s.name as RentalDetailsView['steps'][number]['name'],
      kind: s.kind,
      status: s.status,
      attempts: s.attempts,
      startedAt: s.startedAt.toISOString(),
      finishedAt: iso(s.finishedAt),
      error: s.errorCode ? { code: s.errorCode, detail: s.errorDetail ?? '' } : null,
    })),
  };
}

/** The facts rentals' events carry: ids and the half-open period. */
export function rentalFactsOf(row: RentalRow) {
  return {
    rentalId: row.id,
    itemId: row.itemId,
    renterId: row.renterId,
    ownerId: row.ownerId,
    from: row.periodFrom.toISOString(),
    to: row.periodTo.toISOString(),
  };
}
