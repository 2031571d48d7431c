import { and, asc, gte, lt, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { ChangeFeedInput } from '../bus/change-feed.ts';
import type { Db } from './database.ts';

/**
 * Export cursors for the warehouse. A table that feeds it has a `change_xid xid8` column set
 * to the writing transaction's id (pg_current_xact_id(), by a column default and, for rows
 * that change, a BEFORE UPDATE trigger). A transaction id is taken before commit, so ids do
 * not commit in order; a reader therefore stops at the oldest transaction still running
 * (the lowest in-progress id of its snapshot): every id below it has committed or aborted, so a row
 * committed late is never skipped, only read by the next extraction. A row changed again
 * gets a newer id and comes again.
 */

/** The lowest id still running in this database at the snapshot, else the snapshot's next id. */
const SAFE_POINT = sql.raw(`(
  with s as (select pg_current_snapshot() as snap),
  elsewhere as (
    select backend_xid as x from pg_stat_activity where datname is distinct from current_database() and backend_xid is not null
    union all select transaction from pg_prepared_xacts where database <> current_database())
  select coalesce(
    (select min(x8) from (select pg_snapshot_xip(snap) as x8 from s) running where x8::xid not in (select x from elsewhere)),
    (select pg_snapshot_xmax(snap) from s))::text)`);

/** The window a page reads: its safe point and the (xid, key) it starts after. */
export interface ChangeWindow {
  since: string;
  until: string;
  after?: { xid: string; key: string };
}

/** Resolves the page's window: the given until, or the source's safe point now. */
export async function changeWindow(db: Db, input: ChangeFeedInput): Promise<ChangeWindow> {
  let until = input.until;
  if (!until) {
    const [row] = await db.select({ until: sql<string>`${SAFE_POINT}` }).from(sql`(select 1) as one`);
    until = row!.until;
  }
  const separator = input.after?.indexOf(':') ?? -1;
  return {
    since: input.since,
    until,
    ...(input.after && separator > 0
      ? { after: { xid: input.after.slice(0, separator), key: input.after.slice(separator + 1) } }
      : {}),
  };
}

/** The where clause of a page: changed inside the window, after the previous page's last row. */
export function changedIn(window: ChangeWindow, changeXid: SQLWrapper, key: SQLWrapper): SQL {
  return and(
    gte(changeXid, sql`${window.since}::xid8`),
    lt(changeXid, sql`${window.until}::xid8`),
    window.after ? sql`(${changeXid}, ${key}) > (${window.after.xid}::xid8, ${window.after.key})` : undefined,
  )!;
}

/** Order of a page: by change transaction, then key. */
export const changeOrder = (changeXid: SQLWrapper, key: SQLWrapper) => [asc(changeXid as SQL), asc(key as SQL)];

/** The page's answer: its rows, the next cursor when the page was full, and the window's until. */
export function changePage<R extends { changeXid: string }, O>(
  rows: readonly R[],
  window: ChangeWindow,
  limit: number,
  keyOf: (row: R) => string,
  view: (row: R) => O,
) {
  const last = rows.at(-1);
  return {
    rows: rows.map(view),
    next: rows.length === limit && last ? `${last.changeXid}:${keyOf(last)}` : null,
    until: window.until,
  };
}
