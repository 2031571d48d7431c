import type { ParsedInputOf } from '../../../shared/bus/contract.ts';
import type { Db, Tx } from '../../../shared/db/database.ts';
import type { payments } from '../contract.ts';
import { planCapture } from '../domain/authorizations.ts';
import { toAuthorization, type AuthorizationView } from './authorization-view.ts';
import { changeAuthorization } from './change-authorization.ts';
import { runOnce } from './run-once.ts';

export type SettlementInput = ParsedInputOf<typeof payments.ops.capturePayment>;

/**
 * Settles a rental (capturePayment) inside a transaction the caller owns on the payments
 * database, e.g. the one a two-phase participant PREPAREs (its PreparedWork db). All of it
 * or none runs (a savepoint), so the caller's transaction stays usable when it fails; locks
 * on the operation key, the authorization and the accounts are held until the caller ends
 * it. Given a database handle outside any transaction, it runs in a transaction of its own.
 */
export function settleInTransaction(tx: Tx | Db, input: SettlementInput): Promise<AuthorizationView> {
  const { operationId, ...params } = input;
  return tx.transaction((savepoint) =>
    runOnce(savepoint, { operationId, command: 'capturePayment', params }, async () => {
      const row = await changeAuthorization(savepoint, input.authorizationId, 'capture', (auth) =>
        planCapture(auth, params),
      );
      return { result: toAuthorization(row), authorizationId: row.id };
    }),
  );
}
