import type { Cache } from '../../shared/cache/cache.ts';
import type { Db } from '../../shared/db/database.ts';
import type { Reads } from '../../shared/db/read-routing.ts';
import type { Publish } from '../../shared/events/publish.ts';

/** What inventory's handlers depend on, built once by module.ts. */
export interface InventoryDeps {
  db: Db;
  /** Public reads, lists and history: a fresh replica when there is one. */
  reads: Reads;
  /** Public item reads, kept current by every change (write-through). */
  cache: Cache;
  publish: Publish;
}
