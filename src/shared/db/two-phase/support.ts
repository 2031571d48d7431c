import { sql as drizzleSql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { primaryTarget } from '../follow-primary.ts';
import type { Database } from '../database.ts';
import { TwoPhaseUnsupported } from './errors.ts';

/** Something that answers one SQL query: a postgres.js pool, the platform's Database, or a PGlite instance. */
export type SettingSource =
  | postgres.Sql
  | Pick<Database, 'db' | 'driver' | 'label'>
  | { query(text: string): Promise<{ rows: unknown[] }> };

const QUERY = `select current_setting('max_prepared_transactions')::int as value`;

/** The server's max_prepared_transactions (0 on a default PostgreSQL and always on PGlite). */
export async function maxPreparedTransactions(source: SettingSource): Promise<number> {
  let rows: unknown[];
  if (typeof source === 'function') rows = await source.unsafe(QUERY);
  else if ('driver' in source) {
    const result = (await source.db.execute(drizzleSql.raw(QUERY))) as unknown;
    rows = Array.isArray(result) ? result : (result as { rows: unknown[] }).rows;
  } else rows = (await source.query(QUERY)).rows;
  return Number((rows[0] as { value: unknown } | undefined)?.value ?? 0);
}

/** Throws TwoPhaseUnsupported unless the database can PREPARE TRANSACTION. */
export async function assertTwoPhaseSupported(source: SettingSource): Promise<void> {
  if (typeof source === 'object' && 'driver' in source && source.driver === 'pglite') {
    throw new TwoPhaseUnsupported(`${source.label} is embedded PGlite`, 0);
  }
  const value = await maxPreparedTransactions(source);
  if (value <= 0) throw new TwoPhaseUnsupported(`this server has max_prepared_transactions = ${value}`, value);
}

const verified = new WeakMap<postgres.Sql, Promise<void>>();

/** assertTwoPhaseSupported once per pool (a success is remembered; a failure is checked again next time). */
export function ensureTwoPhaseSupported(sql: postgres.Sql): Promise<void> {
  let check = verified.get(sql);
  if (!check) {
    check = assertTwoPhaseSupported(sql);
    verified.set(sql, check);
    check.catch(() => verified.delete(sql));
  }
  return check;
}

/**
 * Opens a small postgres.js pool dedicated to a module's prepared transactions (each prepare
 * holds one connection from BEGIN to PREPARE; `max` also bounds how many this process can
 * have in flight against the cluster's max_prepared_transactions). `url` is the module's
 * database URL (moduleDatabaseUrl); undefined means embedded PGlite, which throws
 * TwoPhaseUnsupported. The pool's date parsing is set up for drizzle, as openPostgres does.
 */
export function openTwoPhaseClient(url: string | undefined, options: { max?: number } = {}): postgres.Sql {
  if (!url) throw new TwoPhaseUnsupported('no database URL is configured, so the module runs on embedded PGlite', 0);
  // On a replicated database the pool follows the primary, so recovery resumes after a failover.
  const target = primaryTarget(url);
  const client = postgres(target.url, {
    max: options.max ?? 4,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    ...target.options,
  });
  drizzle({ client });
  return client;
}
