import type { Bus } from '../../shared/bus/bus.ts';
import type { Db } from '../../shared/db/database.ts';
import type { DeadLetterDeps } from '../../shared/events/dead-letters.ts';
import type { Logger } from '../../shared/observability/logger.ts';
import type { CommitRelay } from './live/commit-relay.ts';

/** What notifications' handlers and consumers depend on, built once by module.ts. */
export interface NotificationsDeps extends DeadLetterDeps {
  db: Db;
  /** Reads other modules' facts a notification needs (an item's title it has not seen). */
  bus: Bus;
  /**
   * Whether a consumer may ask inventory while its transaction is open: not on embedded
   * PGlite, whose single session would make that query wait for the transaction itself.
   */
  askInventoryForTitles: boolean;
  /** This instance: it pushes live only the notifications it committed itself. */
  origin: string;
  /** Pushes this instance's committed notifications to the live feed. */
  committed: CommitRelay;
  log: Logger;
}
