import type { Handler } from '../../../shared/bus/bus.ts';
import type { payments } from '../contract.ts';
import type { PaymentsDeps } from '../deps.ts';
import { planVoid } from '../domain/authorizations.ts';
import { toAuthorization } from './authorization-view.ts';
import { changeAuthorization } from './change-authorization.ts';
import { runOnce } from './run-once.ts';

export const voidAuthorization: Handler<typeof payments.ops.voidAuthorization, PaymentsDeps> = (input, { deps }) => {
  const { operationId, ...params } = input;
  return deps.db.transaction((tx) =>
    runOnce(tx, { operationId, command: 'voidAuthorization', params }, async () => {
      const row = await changeAuthorization(tx, input.authorizationId, 'void', planVoid);
      return { result: toAuthorization(row), authorizationId: row.id };
    }),
  );
};
