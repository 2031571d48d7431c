/**
 * A process that hosts inventory, payments and rentals on the test databases and rents one
 * item, for crash tests: RENTALS_CRASH_AT makes it SIGKILL itself at a point of the saga
 * (or of the settlement, with RETURN=1 it then returns the rental). Prints one JSON line with
 * the outcome if it survives. Env: DATABASE_URL, RENTALS_DATABASE_URL, PAYMENTS_DATABASE_URL,
 * RENTER_ID, ITEM_ID, FROM, TO (or RENTAL_ID and OWNER_ID with RETURN=1), RENTALS_CRASH_AT,
 * RENTALS_FAIL_STEP. The faults apply to this child's own rental only: its recovery worker may
 * resume sagas other children left behind at their kill, and drives them without faults.
 */
import { inventoryModule } from '../../../src/modules/inventory/module.ts';
import { paymentsModule } from '../../../src/modules/payments/module.ts';
import { rentals } from '../../../src/modules/rentals/contract.ts';
import { rentalsModuleWith } from '../../../src/modules/rentals/module.ts';
import { faultsFromSettings, type SagaFaults } from '../../../src/modules/rentals/saga/faults.ts';
import { rentalsSettingsFrom } from '../../../src/modules/rentals/settings.ts';
import { systemContext } from '../../../src/shared/bus/context.ts';
import { AppError } from '../../../src/shared/bus/errors.ts';
import { parseConfig } from '../../../src/shared/config/config.ts';
import { hostModules } from '../../../src/shared/modules/platform.ts';
import { createLogger } from '../../../src/shared/observability/logger.ts';

const env = (name: string) => process.env[name] ?? (console.error(`${name} is required`), process.exit(2));
const config = parseConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.CHILD_LOG_LEVEL ?? 'silent' });
const log = createLogger({ level: config.LOG_LEVEL, pretty: false, name: 'saga-child' });
const envFaults = faultsFromSettings(rentalsSettingsFrom(process.env), false, log);
const isOwn = (rental: { id: string; itemId: string }) =>
  process.env.RETURN === '1' ? rental.id === process.env.RENTAL_ID : rental.itemId === process.env.ITEM_ID;
const faults: SagaFaults = { at: async (point, rental) => (isOwn(rental) ? envFaults.at(point, rental) : undefined) };
const host = await hostModules({
  config,
  log,
  service: 'saga-child',
  modules: [inventoryModule, paymentsModule, rentalsModuleWith({ faults })],
});
const ctx = (userId: string) => systemContext({ caller: { userId, role: 'member' }, timeoutMs: 20_000 });
try {
  const output =
    process.env.RETURN === '1'
      ? await host.platform.bus.call(rentals.ops.returnRental, { id: env('RENTAL_ID') }, ctx(env('OWNER_ID')))
      : await host.platform.bus.call(
          rentals.ops.createRental,
          { itemId: env('ITEM_ID'), from: env('FROM'), to: env('TO') },
          ctx(env('RENTER_ID')),
        );
  console.log(JSON.stringify({ survived: true, status: output.status, id: output.id }));
} catch (error) {
  console.log(JSON.stringify({ survived: true, error: error instanceof AppError ? error.code : String(error) }));
}
await host.stop();
process.exit(3);
