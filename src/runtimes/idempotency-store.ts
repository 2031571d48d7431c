import { moduleDatabaseUrl } from '../shared/config/config.ts';
import type { Database } from '../shared/db/database.ts';
import { migrateModule } from '../shared/db/migrate.ts';
import { PLATFORM, PLATFORM_MIGRATIONS } from '../shared/db/platform-schema.ts';
import { DatabaseIdempotencyStore } from '../shared/http/idempotency-database.ts';
import { MemoryIdempotencyStore } from '../shared/http/idempotency-memory.ts';
import { RedisIdempotencyStore } from '../shared/http/idempotency-redis.ts';
import type { IdempotencyStore } from '../shared/http/idempotency-store.ts';
import type { Platform } from '../shared/modules/platform.ts';
import { every } from '../shared/time/every.ts';

/** How often expired idempotency records are deleted from the database. */
const PURGE_EVERY_MS = 15 * 60_000;

/** The database of the platform's own tables (PLATFORM_DATABASE_URL, DATABASE_URL or the embedded one), migrated. */
export async function platformDatabase(platform: Platform): Promise<Database> {
  const database = await platform.database(PLATFORM);
  await migrateModule(database, moduleDatabaseUrl(PLATFORM, platform.config), PLATFORM, PLATFORM_MIGRATIONS);
  return database;
}

/**
 * Where the public API keeps Idempotency-Key records: Redis when configured (shared by every
 * gateway); else the database, so a retry stays safe across a restart (`database: 'always'`
 * for the monolith, whose modules live there anyway; `'if-configured'` for a gateway, which
 * opens no embedded database); else, a lone gateway with neither, this process's memory.
 */
export async function openIdempotencyStore(
  platform: Platform,
  options: { database: 'always' | 'if-configured' },
): Promise<{ store: IdempotencyStore; stop(): void }> {
  if (platform.redis) return { store: new RedisIdempotencyStore(platform.redis), stop: () => {} };
  if (options.database === 'if-configured' && !moduleDatabaseUrl(PLATFORM, platform.config)) {
    platform.log.warn(
      'Idempotency keys are kept in memory (no REDIS_URL or DATABASE_URL): they are lost on restart and not shared between gateways',
    );
    return { store: new MemoryIdempotencyStore(), stop: () => {} };
  }
  const store = new DatabaseIdempotencyStore((await platformDatabase(platform)).db);
  const purge = every(
    PURGE_EVERY_MS,
    async () => {
      const purged = await store.purgeExpired();
      if (purged > 0) platform.log.info({ purged }, 'expired idempotency keys purged');
    },
    platform.log,
    { name: 'idempotency key purge', immediately: true },
  );
  return { store, stop: () => void purge.stop() };
}
