import type { Counter } from 'prom-client';
import type { Logger } from '../observability/logger.ts';
import { openPglite, openPostgres, type Database } from './database.ts';
import { DatabaseUnreachableError } from './errors.ts';

/**
 * Opens one Database per distinct URL and shares it between the modules that use it; with
 * no URL, every module shares one embedded PGlite (one instance per process).
 */
export class Databases {
  private readonly open = new Map<string, Promise<Database>>();

  constructor(private readonly options: { dataDir: string; poolMax: number; log: Logger; queries?: Counter<'database'> }) {}

  /** The database at url, or the embedded one when url is undefined. */
  get(url: string | undefined): Promise<Database> {
    const key = url ?? 'pglite';
    let database = this.open.get(key);
    if (!database) {
      database = url ? connect(url, { max: this.options.poolMax, ...this.queryCounter(url) }) : openPglite(this.options.dataDir);
      this.open.set(key, database);
      // A failure is the caller's to report (start-up names it in one line).
      database.then((d) => this.options.log.info({ database: d.label }, 'database opened'), () => {});
    }
    return database;
  }

  /** Counts the statements sent to the database at url, labelled with its name. */
  private queryCounter(url: string): { onQuery?: () => void } {
    const { queries } = this.options;
    if (!queries) return {};
    const counter = queries.labels({ database: databaseName(url) });
    return { onQuery: () => counter.inc() };
  }

  async closeAll(): Promise<void> {
    const all = await Promise.allSettled(this.open.values());
    this.open.clear();
    await Promise.allSettled(all.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
  }
}

/** Opens a PostgreSQL pool and checks that the database answers, so "opened" means it did. */
async function connect(url: string, options: Parameters<typeof openPostgres>[1]): Promise<Database> {
  const database = openPostgres(url, options);
  try {
    await database.execute('select 1');
  } catch (cause) {
    await database.close().catch(() => {});
    throw new DatabaseUnreachableError(url, database.label, cause);
  }
  return database;
}

/** The database name in a connection URL ("unknown" when it has none). */
function databaseName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.slice(1)) || 'unknown';
  } catch {
    return 'unknown';
  }
}
