import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { lockDataDir } from './data-dir-lock.ts';
import { followPrimary, type Replication } from './follow-primary.ts';
import { redactPostgresUrl } from './postgres-url.ts';
import { primaryReads, type Reads } from './read-routing.ts';

/** The drizzle surface shared by both drivers; module code is written against this. */
export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>;

/** A transaction handle as passed to db.transaction callbacks. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** An open database: the same drizzle API over postgres.js or embedded PGlite. */
export interface Database {
  db: Db;
  driver: 'postgres' | 'pglite';
  /** A URL with the password removed, safe to log. */
  label: string;
  /** Runs one SQL statement outside drizzle (migrations, health checks). */
  execute(sqlText: string): Promise<void>;
  /**
   * LISTENs on a channel; resolves to the function that stops listening. onListen is called
   * each time the LISTEN is (re)established: notifications sent while it was down are lost.
   */
  listen(channel: string, onNotify: (payload: string) => void, onListen?: () => void): Promise<() => Promise<void>>;
  /** Reads that may be slightly stale (public reads, search, lists, history): a fresh replica when there is one. */
  reads: Reads;
  /** Occupancy of each pool (primary, replicaN): connections in use and queries waiting; empty on PGlite. */
  pools(): PoolOccupancy[];
  /** The role each server plays (primary, standby, down), by host:port; empty for a single server. */
  roles(): Record<string, string>;
  close(): Promise<void>;
}

/** A pool's occupancy: connections in use, queries waiting for one, and its size. */
export interface PoolOccupancy {
  pool: string;
  inUse: number;
  waiting: number;
  max: number;
}

/** A pool's occupancy, from the patched postgres.js (patches/postgres+3.4.9.patch). */
function occupancy(pool: string, client: postgres.Sql, max: number): PoolOccupancy {
  const stats = (client as unknown as { poolStats?: () => { busy: number; waiting: number } }).poolStats?.();
  return { pool, inUse: stats?.busy ?? 0, waiting: stats?.waiting ?? 0, max };
}

/** Opens a postgres.js pool as drizzle wants it; onQuery is told of every statement sent. */
function openClient(
  url: string,
  options: { max: number; onQuery?: (() => void) | undefined; replication?: Replication | undefined },
): { client: postgres.Sql; db: Db } {
  const client = postgres(url, {
    max: options.max,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    ...(options.replication ? followPrimary(options.replication) : {}),
  });
  // postgres.js calls options.debug for every statement it sends (BEGIN and COMMIT included).
  // Set after construction: passed to postgres(), debug also captures a stack trace (new Error())
  // for every query, ~2 % of the CPU of a GET /v1/items/{id}.
  const { onQuery } = options;
  if (onQuery) client.options.debug = () => onQuery();
  return { client, db: drizzlePostgres({ client }) as unknown as Db };
}

/**
 * Opens a PostgreSQL database through postgres.js with a bounded pool. With a Replication
 * (several hosts), writes follow its primary; makeReads may route stale-tolerant reads to replicas.
 */
export function openPostgres(
  url: string,
  options: {
    max: number;
    onQuery?: () => void;
    replication?: Replication;
    makeReads?: (primary: Db) => { reads: Reads; pools(): PoolOccupancy[]; close(): Promise<void> };
  },
): Database {
  const { replication } = options;
  // With a Replication the socket goes to its primary: postgres.js is given the first host only.
  const { client, db } = openClient(replication ? replication.writeUrl : url, options);
  const replicas = options.makeReads?.(db);
  return {
    db,
    driver: 'postgres',
    label: redactUrl(url),
    execute: async (sqlText) => {
      await client.unsafe(sqlText);
    },
    listen: async (channel, onNotify, onListen) => {
      const { unlisten } = await client.listen(channel, onNotify, onListen);
      return unlisten;
    },
    reads: replicas?.reads ?? primaryReads(db),
    pools: () => [occupancy('primary', client, options.max), ...(replicas?.pools() ?? [])],
    roles: () => replication?.roles() ?? {},
    close: async () => {
      await replicas?.close();
      await client.end({ timeout: 5 });
      await replication?.stop();
    },
  };
}

/** Opens a read replica's pool, counted like the primary's. */
export function openReplica(
  url: string,
  options: { max: number; onQuery?: () => void },
): { db: Db; occupancy(pool: string): PoolOccupancy; close(): Promise<void> } {
  const { client, db } = openClient(url, options);
  return { db, occupancy: (pool) => occupancy(pool, client, options.max), close: () => client.end({ timeout: 5 }) };
}

/**
 * Opens embedded PGlite persisted under dataDir ("memory://" keeps it in memory), holding the
 * directory's lock (one process per directory) until closed.
 */
export async function openPglite(dataDir: string): Promise<Database> {
  const location = dataDir === 'memory://' ? dataDir : join(dataDir, 'pglite');
  const lock = location === 'memory://' ? undefined : lockDataDir(dataDir, basename(process.argv[1] ?? 'node'));
  if (location !== 'memory://') mkdirSync(location, { recursive: true });
  // Loaded here, not at startup: a server on PostgreSQL never holds PGlite's code.
  const [{ PGlite }, { btree_gist }, { drizzle: drizzlePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/btree_gist'),
    import('drizzle-orm/pglite'),
  ]);
  // btree_gist: rentals' exclusion constraint (no overlapping bookings of one item) needs it.
  const client = await PGlite.create(location, { extensions: { btree_gist } }).catch((error: unknown) => {
    lock?.release();
    throw error;
  });
  const db = drizzlePglite({ client }) as unknown as Db;
  return {
    db,
    driver: 'pglite',
    label: `pglite:${location}`,
    execute: async (sqlText) => {
      await client.exec(sqlText);
    },
    listen: async (channel, onNotify) => {
      const unlisten = await client.listen(channel, onNotify);
      return () => unlisten();
    },
    reads: primaryReads(db),
    pools: () => [],
    roles: () => ({}),
    close: async () => {
      await client.close();
      lock?.release();
    },
  };
}

/** Removes credentials from a connection URL (one or several hosts). */
export function redactUrl(url: string): string {
  return redactPostgresUrl(url);
}
