/** A charge to a user's payment method, in minor units of an ISO 4217 currency. */
export interface ChargeRequest {
  userId: string;
  amount: number;
  currency: string;
}

/** How a charge ended: money taken (with the provider's reference), refused, or unknown because the provider failed. */
export type ChargeOutcome =
  | { status: 'succeeded'; reference: string }
  | { status: 'declined'; reason: string }
  | { status: 'unavailable'; reason: string };

/** The payment provider money enters the platform through (card acquirer, bank transfer, …). */
export interface PaymentProvider {
  /** Whether the provider settles this currency. */
  accepts(currency: string): boolean;
  /** Charges the user; an aborted charge ends as unavailable and takes no money. */
  charge(request: ChargeRequest, signal: AbortSignal): Promise<ChargeOutcome>;
}
