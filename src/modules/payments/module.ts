import { fileURLToPath } from 'node:url';
import { defineModule } from '../../shared/modules/define-module.ts';
import { payments } from './contract.ts';
import type { PaymentsDeps } from './deps.ts';
import { authorizePayment } from './handlers/authorize-payment.ts';
import { capturePayment } from './handlers/capture-payment.ts';
import { exportLedger } from './handlers/export-ledger.ts';
import { finishPrepared } from './handlers/finish-prepared.ts';
import { getAuthorization } from './handlers/get-authorization.ts';
import { getWallet } from './handlers/get-wallet.ts';
import { listWalletTransactions } from './handlers/list-wallet-transactions.ts';
import { prepareSettlement } from './handlers/prepare-settlement.ts';
import { refundPayment } from './handlers/refund-payment.ts';
import { topUpWallet } from './handlers/top-up-wallet.ts';
import { voidAuthorization } from './handlers/void-authorization.ts';
import { providerSettingsFrom } from './provider/provider-settings.ts';
import { simulatedProvider } from './provider/simulated-provider.ts';
import { settleInSharedTransaction } from './handlers/settle-in-shared-transaction.ts';
import { settlementParticipant } from './two-phase/settlement-participant.ts';
import { registerLedgerGauge } from './ledger-gauge.ts';

/** Users' wallets as a double-entry ledger: top-ups, and holds for rentals that are captured, voided or refunded. */
export const paymentsModule = defineModule<typeof payments, PaymentsDeps>({
  contract: payments,
  migrations: fileURLToPath(new URL('../../../migrations/payments', import.meta.url)),
  async setup(platform) {
    const settings = providerSettingsFrom(process.env);
    if (settings.failureRate > 0 || settings.declineRate > 0 || settings.latencyMs > 0) {
      platform.log.warn(
        { provider: settings },
        'simulated payment provider fails, declines or delays charges as configured',
      );
    }
    const { db } = await platform.database('payments');
    registerLedgerGauge(platform.metrics.registry, db);
    return {
      db,
      provider: simulatedProvider(settings),
      providerTimeoutMs: settings.timeoutMs,
      settlement: settlementParticipant(platform),
    };
  },
  handlers: {
    settleInSharedTransaction,
    getWallet,
    listWalletTransactions,
    topUpWallet,
    authorizePayment,
    capturePayment,
    voidAuthorization,
    refundPayment,
    getAuthorization,
    prepareSettlement,
    finishPrepared,
    exportLedger,
  },
  async start(deps, platform) {
    deps.settlement.start(platform.bus);
  },
  async stop(deps) {
    await deps.settlement.stop();
  },
});
