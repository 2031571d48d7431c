import { and, asc, eq, lte, ne, type SQL, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Logger } from '../../observability/logger.ts';
import { backoffRetry, within } from '../../resilience/bounded.ts';
import type { Db } from '../database.ts';
import { TwoPhaseError, TwoPhaseInDoubt, TwoPhaseInvalidGid, TwoPhasePrepareTimeout } from './errors.ts';
import { assertTwoPhaseName, formatGid, newTransactionId, parseGid } from './gid.ts';
import type { LoggedParticipant, TwoPhaseLogTable, TwoPhaseState } from './log-table.ts';
import type { TwoPhaseDecision } from './participant.ts';

/** A participant's "yes": resolving prepare is the vote; the xid lets finishing verify a missing GID. */
export interface PrepareVote {
  xid?: string;
}

/** Finishes a participant's prepared transaction; both idempotent (a missing GID is success). */
export interface ParticipantFinisher {
  readonly name: string;
  commit(gid: string, vote?: PrepareVote): Promise<void>;
  rollback(gid: string, vote?: PrepareVote): Promise<void>;
}

/**
 * One participant of one distributed transaction, in-process or remote (a bus call): the
 * coordinator cannot tell. prepare resolves once the participant's work is PREPAREd under gid
 * and rejects for "no" (any rejection, including a business error, aborts the transaction).
 */
export interface TwoPhaseParticipant extends ParticipantFinisher {
  prepare(gid: string): Promise<PrepareVote | void>;
}

export interface ParticipantFailure {
  participant: string;
  error: unknown;
}

/** How run() ended. */
export interface TwoPhaseResult {
  transactionId: string;
  outcome: 'committed' | 'aborted';
  /** True when every participant finished and the log row is done; otherwise recover() finishes. */
  complete: boolean;
  /** Participants whose commit/rollback has not succeeded yet. */
  pending: string[];
  /** Why it aborted: failed or timed-out prepares (empty when recovery had aborted it first). */
  failures: ParticipantFailure[];
}

export interface RecoveryReport {
  committed: string[];
  aborted: string[];
  /** Transactions still not done, with the participants that could not be finished. */
  pending: { transactionId: string; state: TwoPhaseState; participants: string[]; error?: unknown }[];
}

export interface TwoPhaseCoordinator {
  readonly name: string;
  /**
   * Runs one distributed transaction: logs `preparing`, prepares every participant in parallel
   * (each within prepareTimeoutMs), then either logs `committing` (durable, compare-and-set from
   * `preparing`) and commits everyone, or logs `aborting` and rolls everyone back; then `done`.
   * Commits and rollbacks are retried for up to finishRetryMs; what is left stays in the log
   * for recover(). Throws TwoPhaseInDoubt when the decision write failed in flight (outcome
   * unknown, everything stays prepared for recovery), and rethrows a failure of the first
   * `preparing` write (nothing happened).
   */
  run(participants: readonly TwoPhaseParticipant[], options?: { prepareTimeoutMs?: number }): Promise<TwoPhaseResult>;
  /**
   * Finishes every log row not `done` created at least olderThanMs ago (default staleAfterMs):
   * `committing` → commit every participant; `aborting` → roll every one back; `preparing` →
   * presumed abort (compare-and-set to `aborting`, so a live run() can no longer commit it) and
   * roll back. One attempt per participant per call; schedule it (startup + every few seconds).
   */
  recover(options?: { olderThanMs?: number; limit?: number }): Promise<RecoveryReport>;
  /**
   * The answer for a participant's resolveOrphans: 'commit' when a commit was logged, 'abort'
   * when an abort was logged or no row exists (presumed abort), or when the row is still
   * `preparing` and at least abortUndecidedOlderThanMs old (default staleAfterMs): it is then
   * switched to `aborting` atomically first. 'unknown' only for a young `preparing` row.
   */
  decisionFor(gid: string, options?: { abortUndecidedOlderThanMs?: number }): Promise<TwoPhaseDecision>;
  /** Deletes `done` rows completed at least olderThanMs ago; returns how many. */
  prune(olderThanMs: number): Promise<number>;
}

export interface CoordinatorOptions {
  /** The coordinator's name in GIDs: the coordinating module, e.g. 'rentals'. */
  name: string;
  /** The coordinator module's database, which holds the log table. */
  db: Db;
  /** The log table (twoPhaseLogTable(<module schema>)). */
  table: TwoPhaseLogTable;
  /** How recover() reaches each participant by name. */
  finishers: readonly ParticipantFinisher[];
  /** Default 5000. */
  prepareTimeoutMs?: number;
  /** How long run() keeps retrying commits/rollbacks before leaving them to recover(); default 5000. */
  finishRetryMs?: number;
  /** Age after which an undecided (`preparing`) row is presumed aborted; default 30000. */
  staleAfterMs?: number;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** Creates a two-phase-commit coordinator with a durable decision log and crash recovery. */
export function createTwoPhaseCoordinator(options: CoordinatorOptions): TwoPhaseCoordinator {
  const { name, db, table } = options;
  assertTwoPhaseName(name, 'coordinator');
  const prepareTimeoutMs = options.prepareTimeoutMs ?? 5_000;
  const finishRetryMs = options.finishRetryMs ?? 5_000;
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  const logger = options.logger;
  const finishers = new Map<string, ParticipantFinisher>();
  for (const f of options.finishers) {
    assertTwoPhaseName(f.name, 'participant');
    finishers.set(f.name, f);
  }
  const gidOf = (transactionId: string, participant: string) =>
    formatGid({ coordinator: name, participant, transactionId });
  const olderThan = (ms: number): SQL => lte(table.createdAt, sql`now() - make_interval(secs => ${ms / 1000})`);

  /** Compare-and-set of a row's state, committed with synchronous_commit on: the decision is durable when it returns. */
  async function transition(
    id: string,
    from: TwoPhaseState,
    set: PgUpdateSetSource<TwoPhaseLogTable>,
    extra?: SQL,
  ): Promise<boolean> {
    return db.transaction(async (tx) => {
      await tx.execute(sql`set local synchronous_commit = on`);
      const rows = await tx
        .update(table)
        .set(set)
        .where(and(eq(table.id, id), eq(table.state, from), extra))
        .returning({ id: table.id });
      return rows.length === 1;
    });
  }

  async function readRow(id: string) {
    const [row] = await db.select().from(table).where(eq(table.id, id));
    return row;
  }

  async function noteFailure(id: string, error: unknown): Promise<void> {
    await db
      .update(table)
      .set({ attempts: sql`${table.attempts} + 1`, lastError: describe(error).slice(0, 2000) })
      .where(eq(table.id, id))
      .catch(() => {});
  }

  /** Commits or rolls back every participant; retries each for up to retryMs. Returns the unfinished. */
  async function finishAll(
    id: string,
    kind: 'commit' | 'rollback',
    targets: readonly { participant: ParticipantFinisher | undefined; logged: LoggedParticipant }[],
    retryMs: number,
  ): Promise<ParticipantFailure[]> {
    const until = Date.now() + retryMs;
    const results = await Promise.all(
      targets.map(async ({ participant, logged }): Promise<ParticipantFailure | undefined> => {
        if (!participant)
          return {
            participant: logged.name,
            error: new TwoPhaseError('twoPhaseNoFinisher', `No finisher for participant ${logged.name}.`),
          };
        const vote = logged.xid ? { xid: logged.xid } : undefined;
        try {
          await backoffRetry({ handle: () => true, initialMs: 50, maxMs: 1_000, deadline: until }).execute(() =>
            participant[kind](gidOf(id, logged.name), vote),
          );
          return undefined;
        } catch (error) {
          return { participant: logged.name, error };
        }
      }),
    );
    const failed = results.filter((r): r is ParticipantFailure => r !== undefined);
    for (const f of failed) {
      logger?.warn(
        { transactionId: id, participant: f.participant, err: describe(f.error) },
        `two-phase ${kind} not finished yet`,
      );
      await noteFailure(id, f.error);
    }
    return failed;
  }

  async function complete(id: string, from: 'committing' | 'aborting'): Promise<boolean> {
    try {
      await db
        .update(table)
        .set({ state: 'done', completedAt: sql`now()` })
        .where(and(eq(table.id, id), eq(table.state, from)));
      return true;
    } catch (error) {
      logger?.warn({ transactionId: id, err: describe(error) }, 'two-phase log not marked done; recovery will');
      return false;
    }
  }

  async function abort(
    id: string,
    participants: readonly TwoPhaseParticipant[],
    logged: readonly LoggedParticipant[],
    failures: ParticipantFailure[],
  ): Promise<TwoPhaseResult> {
    // Only this run() could switch the row to committing, so rolling back is safe even if this write fails.
    await transition(id, 'preparing', { state: 'aborting', outcome: 'abort', decidedAt: sql`now()` }).catch(
      (error: unknown) => {
        logger?.warn(
          { transactionId: id, err: describe(error) },
          'two-phase abort decision not logged; recovery presumes abort',
        );
      },
    );
    const byName = new Map(participants.map((p) => [p.name, p]));
    const pending = await finishAll(
      id,
      'rollback',
      logged.map((l) => ({ participant: byName.get(l.name), logged: l })),
      finishRetryMs,
    );
    const done = pending.length === 0 && (await complete(id, 'aborting'));
    return {
      transactionId: id,
      outcome: 'aborted',
      complete: done,
      pending: pending.map((p) => p.participant),
      failures,
    };
  }

  return {
    name,

    async run(participants, runOptions = {}) {
      if (participants.length === 0)
        throw new TwoPhaseError('twoPhaseNoParticipants', 'A two-phase transaction needs at least one participant.');
      const names = new Set<string>();
      for (const p of participants) {
        assertTwoPhaseName(p.name, 'participant');
        if (names.has(p.name))
          throw new TwoPhaseError('twoPhaseDuplicateParticipant', `Participant ${p.name} appears twice.`);
        names.add(p.name);
      }
      const id = newTransactionId();
      const logged: LoggedParticipant[] = participants.map((p) => ({ name: p.name, xid: null }));
      // Durable before any prepare: a prepared GID with no row can then only mean "aborted".
      await db.transaction(async (tx) => {
        await tx.execute(sql`set local synchronous_commit = on`);
        await tx.insert(table).values({ id, participants: logged, state: 'preparing' });
      });

      const timeoutMs = runOptions.prepareTimeoutMs ?? prepareTimeoutMs;
      const votes = await Promise.all(participants.map((p) => settle(p, gidOf(id, p.name), timeoutMs)));
      const failures = votes.flatMap((v, i) => (v.ok ? [] : [{ participant: participants[i]!.name, error: v.error }]));

      if (failures.length > 0) {
        // A prepare that arrives after its timeout is rolled back as soon as it lands (and by resolveOrphans if this process dies first).
        votes.forEach((v, i) => {
          if (!v.ok && v.late) {
            const p = participants[i]!;
            v.late.then((vote) => p.rollback(gidOf(id, p.name), vote ?? undefined)).catch(() => {});
          }
        });
        return abort(id, participants, logged, failures);
      }

      const voted = logged.map((l, i) => ({
        name: l.name,
        xid: (votes[i] as { vote: PrepareVote | void }).vote?.xid ?? null,
      }));
      let decided: boolean;
      try {
        decided = await transition(id, 'preparing', {
          state: 'committing',
          outcome: 'commit',
          decidedAt: sql`now()`,
          participants: voted,
        });
      } catch (error) {
        throw new TwoPhaseInDoubt(id, { cause: error });
      }
      if (!decided) {
        logger?.warn({ transactionId: id }, 'two-phase transaction was aborted by recovery before its decision');
        return abort(id, participants, voted, []);
      }
      const pending = await finishAll(
        id,
        'commit',
        participants.map((p, i) => ({ participant: p, logged: voted[i]! })),
        finishRetryMs,
      );
      const done = pending.length === 0 && (await complete(id, 'committing'));
      return {
        transactionId: id,
        outcome: 'committed',
        complete: done,
        pending: pending.map((p) => p.participant),
        failures: [],
      };
    },

    async recover(recoverOptions = {}) {
      const report: RecoveryReport = { committed: [], aborted: [], pending: [] };
      const rows = await db
        .select()
        .from(table)
        .where(and(ne(table.state, 'done'), olderThan(recoverOptions.olderThanMs ?? staleAfterMs)))
        .orderBy(asc(table.createdAt))
        .limit(recoverOptions.limit ?? 100);
      for (let row of rows) {
        try {
          if (row.state === 'preparing') {
            const switched = await transition(row.id, 'preparing', {
              state: 'aborting',
              outcome: 'abort',
              decidedAt: sql`now()`,
            });
            const current = switched ? { ...row, state: 'aborting' as const } : await readRow(row.id);
            if (!current) continue;
            row = current;
          }
          if (row.state === 'done' || row.state === 'preparing') continue;
          const from = row.state;
          const kind = from === 'committing' ? 'commit' : 'rollback';
          const failed = await finishAll(
            row.id,
            kind,
            row.participants.map((l) => ({ participant: finishers.get(l.name), logged: l })),
            0,
          );
          if (failed.length === 0 && (await complete(row.id, from))) {
            (from === 'committing' ? report.committed : report.aborted).push(row.id);
            logger?.info({ transactionId: row.id, outcome: kind }, 'two-phase transaction recovered');
          } else {
            report.pending.push({ transactionId: row.id, state: from, participants: failed.map((f) => f.participant) });
          }
        } catch (error) {
          report.pending.push({
            transactionId: row.id,
            state: row.state,
            participants: row.participants.map((p) => p.name),
            error,
          });
        }
      }
      return report;
    },

    async decisionFor(gid, decisionOptions = {}) {
      const parts = parseGid(gid);
      if (parts.coordinator !== name) throw new TwoPhaseInvalidGid(`${gid} is not coordinated by ${name}.`);
      let row = await readRow(parts.transactionId);
      if (row?.state === 'preparing') {
        const age = decisionOptions.abortUndecidedOlderThanMs ?? staleAfterMs;
        const switched = await transition(
          row.id,
          'preparing',
          { state: 'aborting', outcome: 'abort', decidedAt: sql`now()` },
          olderThan(age),
        );
        if (!switched) row = await readRow(parts.transactionId);
        else return 'abort';
      }
      // No row: it is written durably before any prepare and pruned only once done, so nothing was committed.
      if (!row || !row.participants.some((p) => p.name === parts.participant)) return 'abort';
      if (row.outcome === 'commit') return 'commit';
      if (row.outcome === 'abort') return 'abort';
      return 'unknown';
    },

    async prune(olderThanMs) {
      const rows = await db
        .delete(table)
        .where(
          and(
            eq(table.state, 'done'),
            lte(table.completedAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`),
          ),
        )
        .returning({ id: table.id });
      return rows.length;
    },
  };
}

type Settled =
  | { ok: true; vote: PrepareVote | void }
  | { ok: false; error: unknown; late?: Promise<PrepareVote | void> };

/** A participant's prepare, bounded by timeoutMs; a timed-out prepare is handed back as `late`. */
async function settle(participant: TwoPhaseParticipant, gid: string, timeoutMs: number): Promise<Settled> {
  let late: Promise<PrepareVote | void> | undefined;
  try {
    const vote = await within(
      timeoutMs,
      () => participant.prepare(gid),
      (attempt) => {
        late = attempt;
        return new TwoPhasePrepareTimeout(participant.name, timeoutMs);
      },
    );
    return { ok: true, vote };
  } catch (error) {
    return late ? { ok: false, error, late } : { ok: false, error };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
