import type { Cache } from '../../shared/cache/cache.ts';
import type { Db } from '../../shared/db/database.ts';
import type { Reads } from '../../shared/db/read-routing.ts';
import type { DeadLetterDeps } from '../../shared/events/dead-letters.ts';
import type { Logger } from '../../shared/observability/logger.ts';
import type { BackgroundRebuilds } from './rebuild/background-rebuilds.ts';
import type { RecordExposure } from './store/exposure-store.ts';

/** What catalog's handlers and consumers depend on, built once by module.ts. */
export interface CatalogDeps extends DeadLetterDeps {
  db: Db;
  /** Searches: a fresh replica when there is one. */
  reads: Reads;
  /** Cache-aside for searches (Redis when configured). */
  cache: Cache;
  searchCacheTtlSeconds: number;
  /** Rebuilds running in this process. */
  rebuilds: BackgroundRebuilds;
  /** Writes a user's first exposure to an experiment's variant. */
  recordExposure: RecordExposure;
  log: Logger;
}
