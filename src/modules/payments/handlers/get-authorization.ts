import { eq } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { payments } from '../contract.ts';
import { authorizations } from '../db/schema.ts';
import type { PaymentsDeps } from '../deps.ts';
import { toAuthorization } from './authorization-view.ts';

export const getAuthorization: Handler<typeof payments.ops.getAuthorization, PaymentsDeps> = async (
  input,
  { deps },
) => {
  const [row] = await deps.db.select().from(authorizations).where(eq(authorizations.id, input.authorizationId));
  if (!row) throw payments.error('authorizationNotFound', `No authorization ${input.authorizationId}.`);
  return toAuthorization(row);
};
