import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { payments } from '../contract.ts';
import type { PaymentsDeps } from '../deps.ts';
import { topUpLegs } from '../domain/authorizations.ts';
import { walletBalanceIn } from '../domain/wallet.ts';
import { postTransaction } from './post-transaction.ts';
import { readBalances } from './read-balances.ts';

/** Time kept back from the call's deadline to record a successful charge. */
const WRITE_MARGIN_MS = 250;

/**
 * Charges the provider first, outside any database transaction, then credits the wallet. A
 * failed, declined or abandoned charge writes nothing. (A crash between charge and credit
 * would need reconciliation against the provider's records; the simulated provider has none.)
 */
export const topUpWallet: Handler<typeof payments.ops.topUpWallet, PaymentsDeps> = async (
  input,
  { deps, caller, deadline },
) => {
  if (!caller) throw platformErrors.unauthorized();
  const { amount, currency } = input;
  if (!deps.provider.accepts(currency))
    throw payments.error(
      'currencyNotSupported',
      `The payment provider does not take ${currency}; top up in another currency.`,
    );
  const timeoutMs = Math.max(1, Math.min(deps.providerTimeoutMs, deadline - Date.now() - WRITE_MARGIN_MS));
  const charge = await deps.provider.charge(
    { userId: caller.userId, amount, currency },
    AbortSignal.timeout(timeoutMs),
  );
  if (charge.status === 'declined') throw payments.error('paymentDeclined', `${charge.reason} No money was moved.`);
  if (charge.status === 'unavailable')
    throw payments.error('providerUnavailable', `${charge.reason} No money was moved; try again later.`);

  const { posted, wallet } = await deps.db.transaction(async (tx) => {
    const posted = await postTransaction(tx, {
      kind: 'top_up',
      currency,
      authorizationId: null,
      reference: charge.reference,
      legs: topUpLegs(caller.userId, amount, currency),
    });
    return { posted, wallet: walletBalanceIn(await readBalances(tx, caller.userId, currency), currency) };
  });
  return {
    id: posted.id,
    amount,
    currency,
    providerReference: charge.reference,
    wallet,
    createdAt: posted.createdAt.toISOString(),
  };
};
