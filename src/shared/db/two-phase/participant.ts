import type postgres from 'postgres';
import type { Db } from '../database.ts';
import { sqlState } from '../errors.ts';
import {
  TwoPhaseDeadlineExceeded,
  TwoPhaseError,
  TwoPhaseGidInUse,
  TwoPhaseHeuristicMismatch,
  TwoPhaseNotPreparable,
  TwoPhaseUnsupported,
  TwoPhaseWorkAborted,
  TwoPhaseWrongDatabase,
} from './errors.ts';
import { assertGidPrefix, parseGid } from './gid.ts';
import { drizzleOnReserved } from './reserved-drizzle.ts';
import { ensureTwoPhaseSupported } from './support.ts';

/** What prepared work receives: drizzle and raw postgres.js, both on the one connection being prepared. */
export interface PreparedWork {
  /** Drizzle on the reserved connection; `db.transaction()` nests as a savepoint. */
  db: Db;
  /** The reserved postgres.js connection, already inside the transaction (never BEGIN/COMMIT on it). */
  sql: postgres.ReservedSql;
}

/** A participant's "yes" vote. */
export interface PreparedTransaction {
  gid: string;
  /**
   * The transaction's 64-bit xid (xid8, decimal). Hand it back to commitPrepared /
   * rollbackPrepared so a missing GID can be checked against the transaction's real outcome.
   */
  xid: string;
  /** True when the GID was already prepared here (a repeated prepare): the work did not run again. */
  alreadyPrepared: boolean;
}

/** One prepared transaction of the current database. */
export interface PreparedXact {
  gid: string;
  /** xid8 of the prepared transaction (decimal). */
  xid: string;
  preparedAt: Date;
  /** Age by the database's clock, in milliseconds. */
  ageMs: number;
  owner: string;
  database: string;
}

/** What a participant learns from its coordinator about a transaction it holds prepared. */
export type TwoPhaseDecision = 'commit' | 'abort' | 'unknown';

/**
 * Runs `work` in a transaction on a reserved connection and PREPAREs it under `gid`:
 * BEGIN → work → PREPARE TRANSACTION. Resolves with the vote once the transaction is
 * prepared (durable, surviving a crash, holding its locks until COMMIT/ROLLBACK PREPARED).
 * Any failure of work or of PREPARE rolls everything back and rejects (a "no" vote), including
 * work that caught a database error and returned normally: its transaction is aborted, PREPARE
 * would silently ROLLBACK, and this rejects with TwoPhaseWorkAborted instead of voting yes.
 *
 * - A GID already prepared in this database resolves with `alreadyPrepared: true` without
 *   running work again (a repeated request). A GID never reused after completion is the
 *   caller's duty: the work itself should be idempotent by its business key.
 * - `deadline` (epoch ms, e.g. the bus call's) bounds each statement of work and, if it has
 *   passed when work ends, rolls back instead of preparing (TwoPhaseDeadlineExceeded), so a
 *   coordinator that already gave up does not leave an orphan behind.
 * - Work must not LISTEN/NOTIFY (pg_notify — the outbox publisher's wake-up does), use
 *   temporary tables or WITH HOLD cursors: PostgreSQL refuses to prepare such a transaction
 *   (TwoPhaseNotPreparable). Wake the outbox relay after COMMIT PREPARED instead.
 * - Throws TwoPhaseUnsupported when the server has max_prepared_transactions = 0.
 */
export async function prepareTransaction(
  sql: postgres.Sql,
  gid: string,
  work: (tx: PreparedWork) => Promise<void>,
  options: { deadline?: number } = {},
): Promise<PreparedTransaction> {
  parseGid(gid);
  await ensureTwoPhaseSupported(sql);
  const existing = await findPrepared(sql, gid);
  if (existing) return existingVote(existing, gid);

  const reserved = await sql.reserve();
  let open = false;
  try {
    await reserved`begin`;
    open = true;
    if (options.deadline !== undefined) {
      const remaining = Math.floor(options.deadline - Date.now());
      if (remaining <= 0) throw new TwoPhaseDeadlineExceeded(gid);
      await reserved`select set_config('statement_timeout', ${String(remaining)}, true)`;
    }
    const [{ xid } = { xid: '' }] = await reserved<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
    await work({ db: drizzleOnReserved(sql, reserved), sql: reserved });
    if (options.deadline !== undefined && Date.now() >= options.deadline) throw new TwoPhaseDeadlineExceeded(gid);
    open = false; // a failed PREPARE TRANSACTION rolls the transaction back by itself
    // On a transaction the work left aborted, PREPARE answers a silent ROLLBACK instead of an error.
    const prepared = await reserved.unsafe(`prepare transaction '${gid}'`);
    if (prepared.command !== 'PREPARE TRANSACTION') throw new TwoPhaseWorkAborted(gid);
    return { gid, xid, alreadyPrepared: false };
  } catch (error) {
    if (open) await reserved`rollback`.catch(() => {});
    const code = sqlState(error);
    if (code === '55000' && /prepared transactions are disabled/i.test(String((error as Error).message))) {
      throw new TwoPhaseUnsupported('PREPARE TRANSACTION answered "prepared transactions are disabled"', 0, {
        cause: error,
      });
    }
    if (code === '0A000' && /cannot PREPARE/i.test(String((error as Error).message)))
      throw new TwoPhaseNotPreparable(gid, { cause: error });
    if (code === '42710') {
      const now = await findPrepared(sql, gid);
      if (now) return existingVote(now, gid);
    }
    throw error;
  } finally {
    reserved.release();
  }
}

/**
 * COMMIT PREPARED, idempotently. Call it only for a transaction the coordinator decided to
 * commit. "Does not exist" (42704) then means it was already committed (by an earlier attempt,
 * a concurrent recovery, or resolveOrphans): nobody rolls back a GID whose decision is commit,
 * and the coordinator only decides commit after this participant voted yes. Given `xid` (from
 * the vote), the missing GID is checked against pg_xact_status: "committed" (or too old to
 * know) is success, "aborted" or an xid this server never issued throws
 * TwoPhaseHeuristicMismatch — the one case the rule above cannot cover (an operator's ROLLBACK
 * PREPARED, a failover that lost the prepare). Resolves 'committed' when this call committed
 * it, 'absent' when it was already gone. Must run on the database that prepared it, else
 * TwoPhaseWrongDatabase; a GID being finished by another session ("busy") rejects: retry.
 */
export async function commitPrepared(
  sql: postgres.Sql,
  gid: string,
  options: { xid?: string } = {},
): Promise<'committed' | 'absent'> {
  parseGid(gid);
  try {
    await sql.unsafe(`commit prepared '${gid}'`);
    return 'committed';
  } catch (error) {
    if (sqlState(error) === '42704') {
      if (options.xid !== undefined) await expectStatus(sql, gid, options.xid, 'committed');
      return 'absent';
    }
    throw finishError(error, gid);
  }
}

/**
 * ROLLBACK PREPARED, idempotently: a missing GID is success ('absent'), since aborting means
 * "make sure it is not committed" — it was rolled back already, or never got prepared (its
 * prepare failed, timed out or has not arrived; a prepare arriving later is an orphan that
 * resolveOrphans rolls back). Given `xid`, a missing GID whose transaction committed throws
 * TwoPhaseHeuristicMismatch. Same database and "busy" rules as commitPrepared.
 */
export async function rollbackPrepared(
  sql: postgres.Sql,
  gid: string,
  options: { xid?: string } = {},
): Promise<'rolled-back' | 'absent'> {
  parseGid(gid);
  try {
    await sql.unsafe(`rollback prepared '${gid}'`);
    return 'rolled-back';
  } catch (error) {
    if (sqlState(error) === '42704') {
      if (options.xid !== undefined) await expectStatus(sql, gid, options.xid, 'aborted');
      return 'absent';
    }
    throw finishError(error, gid);
  }
}

/**
 * Prepared transactions of the current database whose GID starts with prefix (`sl:`,
 * `sl:<coordinator>:` or `sl:<coordinator>:<participant>:`, see gidPrefix), oldest first;
 * with olderThanMs, only those prepared at least that long ago by the database's clock.
 */
export async function listPrepared(sql: postgres.Sql, prefix: string, olderThanMs = 0): Promise<PreparedXact[]> {
  assertGidPrefix(prefix);
  // pg_prepared_xacts shows a 32-bit xid; widen it to the xid8 nearest the snapshot's xmax (within
  // 2^31 either way). A prepared xid is not "completed", so xmax (latest completed + 1) can be at or
  // below it while other transactions run: it is not always older than xmax.
  const rows = await sql<
    { gid: string; xid: string; prepared_ms: number; age_ms: number; owner: string; database: string }[]
  >`
    with now as (select pg_snapshot_xmax(pg_current_snapshot())::text::bigint as xmax)
    select p.gid,
           (now.xmax + (p.transaction::text::bigint - now.xmax % 4294967296 + 6442450944) % 4294967296 - 2147483648)::text as xid,
           (extract(epoch from p.prepared) * 1000)::float8 as prepared_ms,
           (extract(epoch from clock_timestamp() - p.prepared) * 1000)::float8 as age_ms,
           p.owner::text as owner, p.database::text as database
      from pg_prepared_xacts p, now
     where p.database = current_database()
       and starts_with(p.gid, ${prefix})
       and p.prepared <= clock_timestamp() - make_interval(secs => ${olderThanMs / 1000})
     order by p.prepared`;
  return rows.map((r) => ({
    gid: r.gid,
    xid: r.xid,
    preparedAt: new Date(Number(r.prepared_ms)),
    ageMs: Number(r.age_ms),
    owner: r.owner,
    database: r.database,
  }));
}

/** What resolveOrphans did. */
export interface OrphanReport {
  committed: string[];
  rolledBack: string[];
  /** The coordinator answered 'unknown' (still deciding): left prepared, asked again next run. */
  undecided: string[];
  /** Asking or finishing failed (coordinator unreachable, …): left prepared, retried next run. */
  failed: { gid: string; error: unknown }[];
}

/**
 * A participant's recovery: for each prepared transaction of this database with the given GID
 * prefix and at least olderThanMs old (younger ones are normally still being decided), asks the
 * coordinator and finishes it: 'commit' → COMMIT PREPARED, 'abort' → ROLLBACK PREPARED.
 *
 * Safety rule: the participant never decides on its own. 'unknown', an error or an unreachable
 * coordinator leave the transaction prepared (it holds its locks; it does not lose data). Only
 * the coordinator may turn "undecided" into "abort", and only atomically against its own
 * decision log (see the coordinator's decisionFor: a stale `preparing` row is switched to
 * `aborting` by compare-and-set, after which its own commit can no longer happen; a GID with no
 * log row at all is presumed aborted because the row is written before any prepare and only
 * pruned once done). A participant that aborted on its own after "no answer" could roll back a
 * transaction whose `committing` record was being written at that moment.
 */
export async function resolveOrphans(
  sql: postgres.Sql,
  prefix: string,
  askDecision: (gid: string) => Promise<TwoPhaseDecision>,
  olderThanMs: number,
): Promise<OrphanReport> {
  const report: OrphanReport = { committed: [], rolledBack: [], undecided: [], failed: [] };
  for (const orphan of await listPrepared(sql, prefix, olderThanMs)) {
    try {
      const decision = await askDecision(orphan.gid);
      if (decision === 'commit') {
        await commitPrepared(sql, orphan.gid, { xid: orphan.xid });
        report.committed.push(orphan.gid);
      } else if (decision === 'abort') {
        await rollbackPrepared(sql, orphan.gid, { xid: orphan.xid });
        report.rolledBack.push(orphan.gid);
      } else {
        report.undecided.push(orphan.gid);
      }
    } catch (error) {
      report.failed.push({ gid: orphan.gid, error });
    }
  }
  return report;
}

interface Found {
  xid: string;
  here: boolean;
}

async function findPrepared(sql: postgres.Sql, gid: string): Promise<Found | undefined> {
  const [row] = await sql<{ xid: string; here: boolean }[]>`
    with now as (select pg_snapshot_xmax(pg_current_snapshot())::text::bigint as xmax)
    select (now.xmax + (p.transaction::text::bigint - now.xmax % 4294967296 + 6442450944) % 4294967296 - 2147483648)::text as xid,
           p.database = current_database() as here
      from pg_prepared_xacts p, now
     where p.gid = ${gid}`;
  return row;
}

function existingVote(found: Found, gid: string): PreparedTransaction {
  if (!found.here) throw new TwoPhaseGidInUse(gid);
  return { gid, xid: found.xid, alreadyPrepared: true };
}

async function expectStatus(
  sql: postgres.Sql,
  gid: string,
  xid: string,
  expected: 'committed' | 'aborted',
): Promise<void> {
  let status: string | null;
  try {
    const [row] = await sql<{ status: string | null }[]>`select pg_xact_status(${xid}::xid8) as status`;
    status = row?.status ?? null;
  } catch (error) {
    // 22023 "transaction ID ... is in the future": this server never ran that transaction.
    if (sqlState(error) === '22023')
      throw new TwoPhaseHeuristicMismatch(
        gid,
        `xid ${xid} is unknown to this server (was the prepare lost in a failover?)`,
      );
    throw error;
  }
  if (status === null || status === expected) return; // null: too old for the commit log, nothing left to check
  if (status === 'in progress')
    throw new TwoPhaseError('twoPhaseBusy', `Prepared transaction ${gid} (xid ${xid}) is still in progress; retry.`);
  throw new TwoPhaseHeuristicMismatch(
    gid,
    `expected ${expected === 'committed' ? 'commit' : 'rollback'}, but xid ${xid} is ${status}`,
  );
}

function finishError(error: unknown, gid: string): unknown {
  if (sqlState(error) === '0A000' && /belongs to another database/i.test(String((error as Error).message))) {
    return new TwoPhaseWrongDatabase(gid, { cause: error });
  }
  return error;
}
