import type { z } from 'zod';
import type { authorizationStatusSchema } from '../contract.ts';
import { platformAccount, userAccount, type Leg } from './ledger.ts';
import { currencyConflict, formatMoney } from './money.ts';

export type AuthorizationStatus = z.infer<typeof authorizationStatusSchema>;

/** What the rules need to know about an authorization. */
export interface AuthorizationState {
  id: string;
  payerId: string;
  payeeId: string | null;
  currency: string;
  amount: number;
  status: AuthorizationStatus;
  capturedAmount: number;
  platformFeeAmount: number;
  releasedAmount: number;
  refundedAmount: number;
}

export type AuthorizationChanges = Partial<
  Pick<
    AuthorizationState,
    'status' | 'payeeId' | 'capturedAmount' | 'platformFeeAmount' | 'releasedAmount' | 'refundedAmount'
  >
>;

/** What a command does to an authorization: post these legs and record these changes, or nothing (already done), or fail. */
export type AuthorizationPlan =
  | { kind: 'post'; legs: Leg[]; changes: AuthorizationChanges }
  | { kind: 'unchanged' }
  | { kind: 'illegal'; detail: string }
  | { kind: 'currencyMismatch'; detail: string }
  | { kind: 'exceedsAuthorization'; detail: string };

/** Authorize: the amount moves from the payer's wallet to their holds account. */
export function authorizationLegs(payerId: string, amount: number, currency: string): Leg[] {
  return [
    { account: userAccount('wallet', payerId, currency), amount: -amount },
    { account: userAccount('holds', payerId, currency), amount },
  ];
}

/** Top-up: money enters from outside through the payment provider into the user's wallet. */
export function topUpLegs(userId: string, amount: number, currency: string): Leg[] {
  return [
    { account: platformAccount('external_cash', currency), amount: -amount },
    { account: userAccount('wallet', userId, currency), amount },
  ];
}

/** The platform's share of a fee, in basis points, rounded half up to a whole minor unit. */
export function platformFeeOf(fee: number, basisPoints: number): number {
  return Math.floor((fee * basisPoints + 5_000) / 10_000);
}

export interface Capture {
  payeeId: string;
  currency: string;
  feeAmount: number;
  platformFeeBasisPoints: number;
}

/**
 * Capture settles a rental in one step: the whole hold leaves the payer's holds account;
 * feeAmount goes to the payee less the platform's share, which goes to platform_fees; the
 * rest (the deposit, less any deduction included in feeAmount) returns to the payer's wallet.
 */
export function planCapture(auth: AuthorizationState, capture: Capture): AuthorizationPlan {
  if (auth.status !== 'authorized')
    return {
      kind: 'illegal',
      detail: `Authorization ${auth.id} is ${auth.status}; only an authorized one can be captured.`,
    };
  const mismatch = currencyConflict(auth.currency, capture.currency, `Authorization ${auth.id}`);
  if (mismatch) return { kind: 'currencyMismatch', detail: mismatch };
  if (capture.feeAmount > auth.amount) {
    const held = formatMoney({ amount: auth.amount, currency: auth.currency });
    const fee = formatMoney({ amount: capture.feeAmount, currency: auth.currency });
    return {
      kind: 'exceedsAuthorization',
      detail: `Cannot capture ${fee} from authorization ${auth.id}: only ${held} is held.`,
    };
  }
  const platformFee = platformFeeOf(capture.feeAmount, capture.platformFeeBasisPoints);
  const released = auth.amount - capture.feeAmount;
  const { currency } = auth;
  return {
    kind: 'post',
    legs: [
      { account: userAccount('holds', auth.payerId, currency), amount: -auth.amount },
      { account: userAccount('wallet', capture.payeeId, currency), amount: capture.feeAmount - platformFee },
      { account: platformAccount('platform_fees', currency), amount: platformFee },
      { account: userAccount('wallet', auth.payerId, currency), amount: released },
    ],
    changes: {
      status: 'captured',
      payeeId: capture.payeeId,
      capturedAmount: capture.feeAmount,
      platformFeeAmount: platformFee,
      releasedAmount: released,
    },
  };
}

/** Void (compensation): the whole hold returns to the payer's wallet; voiding a voided authorization changes nothing. */
export function planVoid(auth: AuthorizationState): AuthorizationPlan {
  if (auth.status === 'voided') return { kind: 'unchanged' };
  if (auth.status !== 'authorized')
    return {
      kind: 'illegal',
      detail: `Authorization ${auth.id} is ${auth.status}; it can no longer be voided (refund it instead).`,
    };
  return {
    kind: 'post',
    legs: [
      { account: userAccount('holds', auth.payerId, auth.currency), amount: -auth.amount },
      { account: userAccount('wallet', auth.payerId, auth.currency), amount: auth.amount },
    ],
    changes: { status: 'voided', releasedAmount: auth.amount },
  };
}

/**
 * Refund reverses a capture in full: the payee gives back their share and the platform its
 * fee, and the payer's wallet gets the captured amount back. Refunding twice changes nothing.
 */
export function planRefund(auth: AuthorizationState): AuthorizationPlan {
  if (auth.status === 'refunded') return { kind: 'unchanged' };
  if (auth.status !== 'captured' || auth.payeeId === null)
    return {
      kind: 'illegal',
      detail: `Authorization ${auth.id} is ${auth.status}; only a captured one can be refunded.`,
    };
  const { currency } = auth;
  return {
    kind: 'post',
    legs: [
      {
        account: userAccount('wallet', auth.payeeId, currency),
        amount: -(auth.capturedAmount - auth.platformFeeAmount),
      },
      { account: platformAccount('platform_fees', currency), amount: -auth.platformFeeAmount },
      { account: userAccount('wallet', auth.payerId, currency), amount: auth.capturedAmount },
    ],
    changes: { status: 'refunded', refundedAmount: auth.capturedAmount },
  };
}
