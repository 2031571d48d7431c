import type { Bus } from '../../shared/bus/bus.ts';
import type { Database, Db } from '../../shared/db/database.ts';
import type { Publish } from '../../shared/events/publish.ts';
import type { Logger } from '../../shared/observability/logger.ts';
import type { SagaFaults } from './saga/faults.ts';
import type { SagaState } from './saga/run-saga.ts';
import type { Settlement } from './settlement/settlement.ts';
import type { RentalsSettings } from './settings.ts';

/** What rentals' handlers and workers depend on, built once by module.ts. */
export interface RentalsDeps {
  db: Db;
  /** LISTEN on rentals' database (recovery hears released saga leases). */
  listen: Database['listen'];
  bus: Bus;
  publish: Publish;
  log: Logger;
  settings: RentalsSettings;
  faults: SagaFaults;
  /** Two-phase settlement with payments, or why this deployment cannot settle. */
  settlement: Settlement;
  /** Sagas this process is driving now, by rental id. */
  running: Map<string, Promise<SagaState>>;
  /** Stops the recovery worker (set by start). */
  stopRecovery?: () => Promise<void>;
}
