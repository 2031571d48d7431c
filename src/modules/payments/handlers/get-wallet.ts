import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import type { payments } from '../contract.ts';
import type { PaymentsDeps } from '../deps.ts';
import { walletBalances } from '../domain/wallet.ts';
import { readBalances } from './read-balances.ts';

export const getWallet: Handler<typeof payments.ops.getWallet, PaymentsDeps> = async (_input, { deps, caller }) => {
  if (!caller) throw platformErrors.unauthorized();
  return { userId: caller.userId, balances: walletBalances(await readBalances(deps.db, caller.userId)) };
};
