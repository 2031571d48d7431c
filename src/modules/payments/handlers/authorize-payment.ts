import { randomUUID } from 'node:crypto';
import type { Handler } from '../../../shared/bus/bus.ts';
import type { payments } from '../contract.ts';
import { authorizations } from '../db/schema.ts';
import type { PaymentsDeps } from '../deps.ts';
import { authorizationLegs } from '../domain/authorizations.ts';
import { toAuthorization } from './authorization-view.ts';
import { postTransaction } from './post-transaction.ts';
import { runOnce } from './run-once.ts';

export const authorizePayment: Handler<typeof payments.ops.authorizePayment, PaymentsDeps> = (input, { deps }) => {
  const { operationId, ...params } = input;
  const { payerId, amount, currency, reference } = params;
  return deps.db.transaction((tx) =>
    runOnce(tx, { operationId, command: 'authorizePayment', params }, async () => {
      const [row] = await tx
        .insert(authorizations)
        .values({ id: randomUUID(), reference, payerId, currency, amount })
        .returning();
      await postTransaction(tx, {
        kind: 'authorization',
        currency,
        authorizationId: row!.id,
        reference,
        legs: authorizationLegs(payerId, amount, currency),
      });
      return { result: toAuthorization(row!), authorizationId: row!.id };
    }),
  );
};
