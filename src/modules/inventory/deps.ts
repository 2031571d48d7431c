import type { Db } from '../../shared/db/database.ts';
import type { Publish } from '../../shared/events/publish.ts';

/** What inventory's handlers depend on, built once by module.ts. */
export interface InventoryDeps {
  db: Db;
  publish: Publish;
}
