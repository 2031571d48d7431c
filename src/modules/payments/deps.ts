import type { Db } from '../../shared/db/database.ts';
import type { PaymentProvider } from './provider/payment-provider.ts';
import type { SettlementParticipant } from './two-phase/settlement-participant.ts';

/** What payments' handlers depend on, built once by module.ts. */
export interface PaymentsDeps {
  db: Db;
  provider: PaymentProvider;
  /** How long a charge may take before it is abandoned as providerUnavailable. */
  providerTimeoutMs: number;
  /** payments' side of rentals' two-phase settlements. */
  settlement: SettlementParticipant;
}
