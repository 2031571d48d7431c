import { fileURLToPath } from 'node:url';
import { createPublisher } from '../../shared/events/publish.ts';
import { defineModule } from '../../shared/modules/define-module.ts';
import { rentals } from './contract.ts';
import { rentalsEvents } from './db/schema.ts';
import type { RentalsDeps } from './deps.ts';
import { cancelRental } from './handlers/cancel-rental.ts';
import { createRental } from './handlers/create-rental.ts';
import { getRental } from './handlers/get-rental.ts';
import { handOverRental } from './handlers/hand-over-rental.ts';
import { countHandedOverRentals } from './handlers/count-handed-over-rentals.ts';
import { listBookings } from './handlers/list-bookings.ts';
import { listRentals } from './handlers/list-rentals.ts';
import { returnRental } from './handlers/return-rental.ts';
import { twoPhaseDecision } from './handlers/two-phase-decision.ts';
import { exportRentals } from './handlers/export-rentals.ts';
import { faultsFromSettings, type SagaFaults } from './saga/faults.ts';
import { startRecovery } from './saga/recovery.ts';
import { openSettlement } from './settlement/settlement.ts';
import { rentalsSettingsFrom } from './settings.ts';
import { registerStuckSagaGauge } from './saga/stuck-gauge.ts';
import { rentalsSubscriptions } from './subscriptions.ts';

/** How long stopping waits for sagas this process is driving (recovery elsewhere resumes the rest). */
const STOP_GRACE_MS = 2_000;

/** The rentals module; tests may inject saga faults. */
export function rentalsModuleWith(options: { faults?: SagaFaults } = {}) {
  return defineModule<typeof rentals, RentalsDeps>({
    contract: rentals,
    migrations: fileURLToPath(new URL('../../../migrations/rentals', import.meta.url)),
    async setup(platform) {
      const settings = rentalsSettingsFrom(process.env);
      const database = await platform.database('rentals');
      const { db } = database;
      registerStuckSagaGauge(platform.metrics.registry, db);
      return {
        db,
        listen: (channel, onNotify, onListen) => database.listen(channel, onNotify, onListen),
        bus: platform.bus,
        publish: createPublisher(rentalsEvents.outbox, 'rentals'),
        log: platform.log,
        settings,
        faults: options.faults ?? faultsFromSettings(settings, platform.config.NODE_ENV === 'production', platform.log),
        settlement: openSettlement(platform, db, settings),
        running: new Map(),
      };
    },
    events: rentalsEvents,
    subscriptions: () => rentalsSubscriptions(),
    handlers: {
      createRental,
      getRental,
      listRentals,
      listBookings,
      countHandedOverRentals,
      cancelRental,
      handOverRental,
      returnRental,
      twoPhaseDecision,
      exportRentals,
    },
    async start(deps) {
      deps.stopRecovery = startRecovery(deps);
    },
    async stop(deps) {
      await deps.stopRecovery?.();
      await Promise.race([
        Promise.allSettled([...deps.running.values()]),
        new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS)),
      ]);
      if (deps.settlement.kind === 'ready') await deps.settlement.sql.end({ timeout: 5 });
    },
  });
}

/** Rentals of items for a period: an orchestrated saga to set one up, two-phase commit to settle it. */
export const rentalsModule = rentalsModuleWith();
