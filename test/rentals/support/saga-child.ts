/**
 * A process that hosts inventory, payments and rentals on the test databases and rents one
 * item, for crash tests: RENTALS_CRASH_AT makes it SIGKILL itself at a point of the saga
 * (or of the settlement, with RETURN=1 it then returns the rental). Prints one JSON line with
 * the outcome if it survives. Env: DATABASE_URL, RENTALS_DATABASE_URL, PAYMENTS_DATABASE_URL,
 * RENTER_ID, ITEM_ID, FROM, TO (or RENTAL_ID and OWNER_ID with RETURN=1), RENTALS_CRASH_AT,
 * RENTALS_FAIL_STEP.
 */
import { inventoryModule } from '../../../src/modules/inventory/module.ts';
import { paymentsModule } from '../../../src/modules/payments/module.ts';
import { rentals } from '../../../src/modules/rentals/contract.ts';
import { rentalsModule } from '../../../src/modules/rentals/module.ts';
import { systemContext } from '../../../src/shared/bus/context.ts';
import { AppError } from '../../../src/shared/bus/errors.ts';
import { parseConfig } from '../../../src/shared/config/config.ts';
import { hostModules } from '../../../src/shared/modules/platform.ts';
import { createLogger } from '../../../src/shared/observability/logger.ts';

const env = (name: string) => process.env[name] ?? (console.error(`${name} is required`), process.exit(2));
const config = parseConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.CHILD_LOG_LEVEL ?? 'silent' });
const log = createLogger({ level: config.LOG_LEVEL, pretty: false, name: 'saga-child' });
const host = await hostModules({ config, log, service: 'saga-child', modules: [inventoryModule, paymentsModule, rentalsModule] });
const ctx = (userId: string) => systemContext({ caller: { userId, role: 'member' }, timeoutMs: 20_000 });
try {
  const output =
    process.env.RETURN === '1'
      ? await host.platform.bus.call(rentals.ops.returnRental, { id: env('RENTAL_ID') }, ctx(env('OWNER_ID')))
      : await host.platform.bus.call(rentals.ops.createRental, { itemId: env('ITEM_ID'), from: env('FROM'), to: env('TO') }, ctx(env('RENTER_ID')));
  console.log(JSON.stringify({ survived: true, status: output.status, id: output.id }));
} catch (error) {
  console.log(JSON.stringify({ survived: true, error: error instanceof AppError ? error.code : String(error) }));
}
await host.stop();
process.exit(3);
