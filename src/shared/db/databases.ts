import { traceTransactions } from './traced-transactions.ts';
import type { Counter, Gauge } from 'prom-client';
import type { Logger } from '../observability/logger.ts';
import { openPglite, openPostgres, openReplica, type Database, type PoolOccupancy } from './database.ts';
import { DatabaseUnreachableError } from './errors.ts';
import { followingPrimaries } from './follow-primary.ts';
import { parsePostgresUrl, redactPostgresUrl } from './postgres-url.ts';
import { ReplicaReads } from './read-routing.ts';
import type { RecentWriters } from './recent-writers.ts';
import { Replication } from './replication.ts';

/** Metrics of the databases a process opens (see shared/observability/metrics.ts). */
export interface DatabaseMetrics {
  queries: Counter<'database'>;
  reads: Counter<'database' | 'target'>;
  failovers: Counter<'database'>;
  replicaLag: Gauge<'database' | 'replica'>;
  /** Pool occupancy sources read at scrape time. */
  pools: Set<() => ({ database: string } & PoolOccupancy)[]>;
}

/** The database metrics of a process's registry. */
export function databaseMetrics(metrics: {
  dbQueries: DatabaseMetrics['queries'];
  dbReads: DatabaseMetrics['reads'];
  dbFailovers: DatabaseMetrics['failovers'];
  dbReplicaLag: DatabaseMetrics['replicaLag'];
  dbPoolSources: DatabaseMetrics['pools'];
}): DatabaseMetrics {
  return {
    queries: metrics.dbQueries,
    reads: metrics.dbReads,
    failovers: metrics.dbFailovers,
    replicaLag: metrics.dbReplicaLag,
    pools: metrics.dbPoolSources,
  };
}

/** Replicas and failover: how reads are routed and how often servers are asked their role. */
export interface ReplicationSettings {
  probeMs: number;
  maxLagMs: number;
  writers: RecentWriters;
}

/**
 * Opens one Database per distinct URL and shares it between the modules that use it; with
 * no URL, every module shares one embedded PGlite (one instance per process). A URL naming
 * several hosts, or read replicas, is watched by a Replication: writes follow the primary.
 */
export class Databases {
  private readonly open = new Map<string, Promise<Database>>();
  private readonly poolSources: (() => ({ database: string } & PoolOccupancy)[])[] = [];

  constructor(
    private readonly options: {
      dataDir: string;
      poolMax: number;
      log: Logger;
      metrics?: DatabaseMetrics;
      replication?: ReplicationSettings;
    },
  ) {}

  /** The database at url (with its read replicas), or the embedded one when url is undefined. */
  get(url: string | undefined, readUrls: string[] = []): Promise<Database> {
    const key = url ? `${url} ${readUrls.join(',')}` : 'pglite';
    let database = this.open.get(key);
    if (!database) {
      // A failure is the caller's to report (start-up names it in one line).
      const name = url ? databaseName(url) : 'pglite';
      database = (url ? connect(url, () => this.openPostgres(url, readUrls)) : openPglite(this.options.dataDir)).then(
        (d) => traceTransactions(d, name),
      );
      this.open.set(key, database);
      const { metrics } = this.options;
      void database.then(
        (d) => {
          const source = () => d.pools().map((p) => ({ database: name, ...p }));
          this.poolSources.push(source);
          metrics?.pools.add(source);
        },
        () => {},
      );
      void database.then(
        (d) => this.options.log.info({ database: d.label, replicas: readUrls.length }, 'database opened'),
        () => {},
      );
    }
    return database;
  }

  private async openPostgres(url: string, readUrls: string[]): Promise<Database> {
    const { poolMax: max, log, metrics } = this.options;
    const name = databaseName(url);
    const onQuery = this.queryCounter(name);
    const parsed = parsePostgresUrl(url);
    if (!parsed) throw new Error(`Not a PostgreSQL URL: ${url.replace(/\/\/[^@]*@/, '//')}`);
    if (parsed.hosts.length === 1 && readUrls.length === 0) return openPostgres(url, { max, ...onQuery });
    const settings = this.options.replication ?? { probeMs: 200, maxLagMs: 1000, writers: undefined };
    const failovers = metrics?.failovers.labels({ database: name });
    const replication = new Replication({
      write: parsed,
      readUrls,
      probeMs: settings.probeMs,
      log,
      onFailover: (from, to) => {
        failovers?.inc();
        log.warn(
          { database: name, from: `${from.host}:${from.port}`, to: `${to.host}:${to.port}` },
          'database failover seen',
        );
      },
      onObserved: (lags) => {
        lags.forEach((lag, i) => {
          metrics?.replicaLag.set({ database: name, replica: `replica${i + 1}` }, lag === undefined ? -1 : lag / 1000);
        });
      },
    });
    await replication.start();
    followingPrimaries.set(url, replication);
    const { writers } = settings;
    return openPostgres(url, {
      max,
      ...onQuery,
      replication,
      ...(readUrls.length > 0 && writers
        ? {
            makeReads: (primary) => {
              const replicas = readUrls.map((readUrl) => openReplica(readUrl, { max, ...onQuery }));
              const reads = new ReplicaReads({
                primary,
                replicas: replicas.map((r) => r.db),
                replication,
                maxLagMs: settings.maxLagMs,
                writers,
                database: name,
                ...(metrics ? { reads: metrics.reads } : {}),
              });
              return {
                reads,
                pools: () => replicas.map((r, i) => r.occupancy(`replica${i + 1}`)),
                close: async () => void (await Promise.allSettled(replicas.map((r) => r.close()))),
              };
            },
          }
        : {}),
    });
  }

  /** Counts the statements sent to the database, labelled with its name. */
  private queryCounter(name: string): { onQuery?: () => void } {
    const queries = this.options.metrics?.queries;
    if (!queries) return {};
    const counter = queries.labels({ database: name });
    return { onQuery: () => counter.inc() };
  }

  async closeAll(): Promise<void> {
    const all = await Promise.allSettled(this.open.values());
    this.open.clear();
    for (const source of this.poolSources.splice(0)) this.options.metrics?.pools.delete(source);
    await Promise.allSettled(all.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
  }
}

/** Opens a PostgreSQL database and checks that it answers, so "opened" means it did. */
async function connect(url: string, open: () => Promise<Database>): Promise<Database> {
  let database: Database | undefined;
  try {
    database = await open();
    await database.execute('select 1');
    return database;
  } catch (cause) {
    await database?.close().catch(() => {});
    throw new DatabaseUnreachableError(url, database?.label ?? redactPostgresUrl(url), cause);
  }
}

/** The database name in a connection URL ("unknown" when it has none). */
function databaseName(url: string): string {
  const parsed = parsePostgresUrl(url);
  try {
    const single = parsed ? parsed.forHost(parsed.hosts[0]!) : url;
    return decodeURIComponent(new URL(single).pathname.slice(1)) || 'unknown';
  } catch {
    return 'unknown';
  }
}
