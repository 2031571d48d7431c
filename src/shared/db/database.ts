import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';

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
  /** LISTENs on a channel; resolves to the function that stops listening. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /** The connection pool (postgres.js only): its size and how many connections are open and busy. */
  pool?: { max: number; use(): Promise<{ active: number; idle: number }> };
}

/** Opens a PostgreSQL database through postgres.js with a bounded pool; onQuery is told of every statement sent. */
export function openPostgres(url: string, options: { max: number; onQuery?: () => void }): Database {
  const { onQuery } = options;
  // Names this pool's sessions so pg_stat_activity can tell its connections apart.
  const applicationName = `shareloop-${process.pid}-${++pools}`;
  const client = postgres(url, {
    max: options.max,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: applicationName },
  });
  // postgres.js calls options.debug for every statement it sends (BEGIN and COMMIT included).
  // Set after construction: passed to postgres(), debug also captures a stack trace (new Error())
  // for every query, ~2 % of the CPU of a GET /v1/items/{id}.
  if (onQuery) client.options.debug = () => onQuery();
  return {
    db: drizzlePostgres({ client }) as unknown as Db,
    driver: 'postgres',
    label: redactUrl(url),
    execute: async (sqlText) => {
      await client.unsafe(sqlText);
    },
    listen: async (channel, onNotify) => {
      const { unlisten } = await client.listen(channel, onNotify);
      return unlisten;
    },
    close: () => client.end({ timeout: 5 }),
    pool: {
      max: options.max,
      async use() {
        const rows = await client<{ active: number; idle: number }[]>`
          select count(*) filter (where state <> 'idle')::int as active, count(*) filter (where state = 'idle')::int as idle
          from pg_stat_activity where application_name = ${applicationName}`;
        // The session running this count is one of the active ones.
        return { active: Math.max(0, (rows[0]?.active ?? 1) - 1), idle: rows[0]?.idle ?? 0 };
      },
    },
  };
}

let pools = 0;

/** Opens embedded PGlite persisted under dataDir ("memory://" keeps it in memory). */
export async function openPglite(dataDir: string): Promise<Database> {
  const location = dataDir === 'memory://' ? dataDir : join(dataDir, 'pglite');
  if (location !== 'memory://') mkdirSync(location, { recursive: true });
  const client = await PGlite.create(location);
  return {
    db: drizzlePglite({ client }) as unknown as Db,
    driver: 'pglite',
    label: `pglite:${location}`,
    execute: async (sqlText) => {
      await client.exec(sqlText);
    },
    listen: async (channel, onNotify) => {
      const unlisten = await client.listen(channel, onNotify);
      return () => unlisten();
    },
    close: () => client.close(),
  };
}

/** Removes credentials from a connection URL. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.username = parsed.username ? parsed.username : '';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}
