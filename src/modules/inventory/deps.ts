import type { Db } from '../../shared/db/database.ts';

/** What inventory's handlers depend on, built once by module.ts. */
export interface InventoryDeps {
  db: Db;
}
