import type { ParsedInputOf } from '../../../shared/bus/contract.ts';
import type { Db, Tx } from '../../../shared/db/database.ts';
import type { payments } from '../contract.ts';
import { planCapture } from '../domain/authorizations.ts';
import { toAuthorization, type AuthorizationView } from './authorization-view.ts';
import { changeAuthorization } from './change-authorization.ts';
import { runOnce } from './run-once.ts';

export type SettlementInput = ParsedInputOf<typeof payments.ops.capturePayment>;

/**
 * Settles a rental (capturePayment) in a transaction of its own on db, e.g. the one a
 * two-phase participant PREPAREs (its PreparedWork db): all of it or none; locks on the
 * operation key, the authorization and the accounts are held until that transaction ends.
 */
export function settleInTransaction(db: Tx | Db, input: SettlementInput): Promise<AuthorizationView> {
  return db.transaction((tx) => settleIn(tx, input));
}

/**
 * Settles a rental inside a transaction the caller owns and ends (a one-phase settlement's
 * shared transaction): a failure leaves it to be rolled back by the caller.
 */
export function settleIn(tx: Tx, input: SettlementInput): Promise<AuthorizationView> {
  const { operationId, ...params } = input;
  return runOnce(tx, { operationId, command: 'capturePayment', params }, async () => {
    const row = await changeAuthorization(tx, input.authorizationId, 'capture', (auth) => planCapture(auth, params));
    return { result: toAuthorization(row), authorizationId: row.id };
  });
}
