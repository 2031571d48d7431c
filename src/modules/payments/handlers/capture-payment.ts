import type { Handler } from '../../../shared/bus/bus.ts';
import type { payments } from '../contract.ts';
import type { PaymentsDeps } from '../deps.ts';
import { settleInTransaction } from './settle.ts';

export const capturePayment: Handler<typeof payments.ops.capturePayment, PaymentsDeps> = (input, { deps }) =>
  settleInTransaction(deps.db, input);
