import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import postgres from 'postgres';
import type { Database } from './database.ts';

/** Where drizzle records applied migrations: one table per module in a shared schema. */
const MIGRATIONS_SCHEMA = 'drizzle';

/**
 * Applies a module's migrations. On PostgreSQL an advisory lock serializes concurrent
 * starters (several instances of a service), on a dedicated connection.
 */
export async function migrateModule(database: Database, url: string | undefined, module: string, folder: string) {
  const config = {
    migrationsFolder: folder,
    migrationsSchema: MIGRATIONS_SCHEMA,
    migrationsTable: `__migrations_${module}`,
  };
  if (!url) {
    await migratePglite(database.db as unknown as PgliteDatabase, config);
    return;
  }
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(hashtext(${`shareloop:migrate:${module}`}))`;
    await migratePostgres(drizzlePostgres({ client }), config);
  } finally {
    await client.end({ timeout: 5 });
  }
}
