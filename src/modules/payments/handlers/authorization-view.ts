import type { z } from 'zod';
import type { authorizationSchema } from '../contract.ts';
import type { authorizations } from '../db/schema.ts';

export type AuthorizationRow = typeof authorizations.$inferSelect;
export type AuthorizationView = z.output<typeof authorizationSchema>;

/** The contract's view of an authorization row. */
export function toAuthorization(row: AuthorizationRow): AuthorizationView {
  return {
    id: row.id,
    reference: row.reference,
    payerId: row.payerId,
    payeeId: row.payeeId,
    currency: row.currency,
    amount: row.amount,
    status: row.status,
    capturedAmount: row.capturedAmount,
    platformFeeAmount: row.platformFeeAmount,
    releasedAmount: row.releasedAmount,
    refundedAmount: row.refundedAmount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
