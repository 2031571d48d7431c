import type { Counter } from 'prom-client';
import type { Logger } from '../observability/logger.ts';
import type { ReadingSource, ScrapedGauge } from '../observability/scraped-gauge.ts';
import { openPglite, openPostgres, type Database } from './database.ts';

/**
 * Opens one Database per distinct URL and shares it between the modules that use it; with
 * no URL, every module shares one embedded PGlite (one instance per process).
 */
export class Databases {
  private readonly open = new Map<string, Promise<Database>>();

  private readonly unregister: (() => void)[] = [];

  constructor(private readonly options: { dataDir: string; poolMax: number; log: Logger; queries?: Counter<'database'>; poolUse?: ScrapedGauge<'database' | 'state'> }) {}

  /** The database at url, or the embedded one when url is undefined. */
  get(url: string | undefined): Promise<Database> {
    const key = url ?? 'pglite';
    let database = this.open.get(key);
    if (!database) {
      database = url
        ? Promise.resolve(openPostgres(url, { max: this.options.poolMax, ...this.queryCounter(url) }))
        : openPglite(this.options.dataDir);
      this.open.set(key, database);
      void database.then((d) => {
        this.options.log.info({ database: d.label }, 'database opened');
        if (d.pool && url && this.options.poolUse) this.unregister.push(this.options.poolUse.add(poolReading(databaseName(url), d.pool)));
      });
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
    for (const remove of this.unregister.splice(0)) remove();
    const all = await Promise.allSettled(this.open.values());
    this.open.clear();
    await Promise.allSettled(all.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
  }
}

/** The database name in a connection URL ("unknown" when it has none). */
function databaseName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.slice(1)) || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** db_pool_connections of one pool: busy and idle connections and the pool's size. */
function poolReading(database: string, pool: NonNullable<Database['pool']>): ReadingSource<'database' | 'state'> {
  return async () => {
    const { active, idle } = await pool.use();
    return [
      [{ database, state: 'active' }, active],
      [{ database, state: 'idle' }, idle],
      [{ database, state: 'max' }, pool.max],
    ];
  };
}
