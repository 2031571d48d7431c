import { and, asc, eq, gt, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../../shared/db/database.ts';
import { isUniqueViolation, sqlState } from '../../../shared/db/errors.ts';
import { rentals } from '../contract.ts';
import { rentalsTable, sagaSteps } from '../db/schema.ts';
import { LEASE_RELEASED_CHANNEL } from './lease-watch.ts';
import { HOLDING_STATUSES, UNFINISHED_STATUSES, type StepLog, type StepStatus } from '../domain/saga.ts';

export type RentalRow = typeof rentalsTable.$inferSelect;
export type NewRental = Omit<typeof rentalsTable.$inferInsert, 'leaseToken' | 'leaseExpiresAt' | 'status'>;
export type StepRow = typeof sagaSteps.$inferSelect;
export type StepKind = StepRow['kind'];
/** A change of a rental's columns. */
export type RentalChanges = Partial<typeof rentalsTable.$inferInsert>;

/** The right to drive one rental's saga, until it runs out. */
export interface Lease {
  rentalId: string;
  token: string;
  ms: number;
}

/** Another process took the saga over (this one was too slow to renew its lease): stop driving it. */
export class LeaseLost extends Error {
  constructor(readonly rentalId: string) {
    super(`The saga lease on rental ${rentalId} was lost; another process drives it now.`);
    this.name = 'LeaseLost';
  }
}

const expiresIn = (ms: number) => sql`now() + make_interval(secs => ${ms / 1000})`;

/**
 * Records a new rental, holding its saga lease. Serialized per item (an advisory lock for the
 * transaction), so two requests cannot both see a period free; the exclusion constraint
 * rentals_no_overlap refuses an overlap as well where the database has btree_gist. A rental
 * the renter already requested with the same request key is returned instead (fresh: false).
 */
export async function insertRental(
  db: Db,
  values: NewRental,
  lease: Omit<Lease, 'rentalId'>,
): Promise<{ row: RentalRow; fresh: boolean }> {
  const taken = () =>
    rentals.error(
      'periodTaken',
      `The item is already booked for part of ${values.periodFrom.toISOString()} – ${values.periodTo.toISOString()}.`,
    );
  const { requestKey } = values;
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`rentals:item:${values.itemId}`}, 0))`);
      // One read: the renter's rental under this request key, else a rental holding part of the period.
      const earlierFirst = requestKey
        ? [sql`(${rentalsTable.renterId} = ${values.renterId} and ${rentalsTable.requestKey} = ${requestKey}) desc`]
        : [];
      const [found] = await tx
        .select()
        .from(rentalsTable)
        .where(
          or(
            requestKey
              ? and(eq(rentalsTable.renterId, values.renterId), eq(rentalsTable.requestKey, requestKey))
              : undefined,
            and(
              eq(rentalsTable.itemId, values.itemId),
              inArray(rentalsTable.status, [...HOLDING_STATUSES]),
              lt(rentalsTable.periodFrom, values.periodTo),
              gt(rentalsTable.periodTo, values.periodFrom),
            ),
          ),
        )
        .orderBy(...earlierFirst)
        .limit(1);
      if (found && requestKey && found.renterId === values.renterId && found.requestKey === requestKey)
        return { row: found, fresh: false };
      if (found) throw taken();
      const [row] = await tx
        .insert(rentalsTable)
        .values({ ...values, status: 'requested', leaseToken: lease.token, leaseExpiresAt: expiresIn(lease.ms) })
        .returning();
      return { row: row!, fresh: true };
    });
  } catch (error) {
    if (sqlState(error) === '23P01') throw taken();
    // The same key for another item, inserted meanwhile under that item's lock.
    const earlier =
      requestKey && isUniqueViolation(error, 'rentals_request_key_idx')
        ? await findByRequestKey(db, values.renterId, requestKey)
        : undefined;
    if (earlier) return { row: earlier, fresh: false };
    throw error;
  }
}

/** The rental a renter requested with a request key (an Idempotency-Key), if any. */
export async function findByRequestKey(
  db: Db | Tx,
  renterId: string,
  requestKey: string,
): Promise<RentalRow | undefined> {
  const [row] = await db
    .select()
    .from(rentalsTable)
    .where(and(eq(rentalsTable.renterId, renterId), eq(rentalsTable.requestKey, requestKey)));
  return row;
}

export async function loadRental(db: Db | Tx, id: string): Promise<RentalRow | undefined> {
  const [row] = await db.select().from(rentalsTable).where(eq(rentalsTable.id, id));
  return row;
}

export async function loadSteps(db: Db | Tx, rentalId: string): Promise<StepRow[]> {
  return db
    .select()
    .from(sagaSteps)
    .where(eq(sagaSteps.rentalId, rentalId))
    .orderBy(asc(sagaSteps.startedAt), asc(sagaSteps.name));
}

export function stepLogOf(steps: readonly StepRow[]): StepLog {
  return new Map(steps.map((s) => [s.name, { name: s.name, status: s.status, errorKind: s.errorKind }]));
}

/** Renews the lease (compare-and-set on the token); throws LeaseLost when another process holds it. */
export async function renewLease(tx: Db | Tx, lease: Lease): Promise<RentalRow> {
  const [row] = await tx
    .update(rentalsTable)
    .set({ leaseExpiresAt: expiresIn(lease.ms) })
    .where(and(eq(rentalsTable.id, lease.rentalId), eq(rentalsTable.leaseToken, lease.token)))
    .returning();
  if (!row) throw new LeaseLost(lease.rentalId);
  return row;
}

/** Takes over the saga of an unfinished rental whose lease ran out (or was given back). */
export async function claimLease(db: Db, rentalId: string, token: string, ms: number): Promise<RentalRow | undefined> {
  const [row] = await db
    .update(rentalsTable)
    .set({ leaseToken: token, leaseExpiresAt: expiresIn(ms) })
    .where(
      and(
        eq(rentalsTable.id, rentalId),
        inArray(rentalsTable.status, [...UNFINISHED_STATUSES]),
        or(isNull(rentalsTable.leaseExpiresAt), lt(rentalsTable.leaseExpiresAt, sql`now()`)),
      ),
    )
    .returning();
  return row;
}

/** Gives the lease back at once and tells recovery (NOTIFY), so it resumes the saga without waiting for it to run out. */
export async function releaseLease(db: Db, lease: Lease): Promise<void> {
  await db.execute(sql`with released as (
      update ${rentalsTable} set lease_expires_at = now()
      where ${rentalsTable.id} = ${lease.rentalId} and ${rentalsTable.leaseToken} = ${lease.token} returning 1)
    select pg_notify(${LEASE_RELEASED_CHANNEL}, '') from released`);
}

/** Unfinished sagas nobody drives: their lease ran out. */
export async function findStalled(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: rentalsTable.id })
    .from(rentalsTable)
    .where(
      and(
        inArray(rentalsTable.status, [...UNFINISHED_STATUSES]),
        or(isNull(rentalsTable.leaseExpiresAt), lt(rentalsTable.leaseExpiresAt, sql`now()`)),
      ),
    )
    .orderBy(asc(rentalsTable.leaseExpiresAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** The rental and one of its steps, as a write left them. */
export interface StepWrite {
  rental: RentalRow;
  step: StepRow;
}

/** The lease's holder (the drive with this token): the condition of every step-log write. */
function held(lease: Lease) {
  return sql`exists (select 1 from ${rentalsTable} where ${rentalsTable.id} = ${lease.rentalId} and ${rentalsTable.leaseToken} = ${lease.token})`;
}

/**
 * Writes that a step is starting (attempt n); durable before the step's call is made. One
 * statement, fenced by the lease (throws LeaseLost when another process holds it); the lease
 * itself is renewed by the writes that change the rental, and by renewLease when it nears its end.
 */
export async function beginStep(db: Db, lease: Lease, name: string, kind: StepKind): Promise<StepRow> {
  const [step] = await db
    .insert(sagaSteps)
    .select(
      db
        .select({
          rentalId: sql`${lease.rentalId}::uuid`.as('rental_id'),
          name: sql`${name}`.as('name'),
          kind: sql`${kind}`.as('kind'),
          status: sql`'started'`.as('status'),
          attempts: sql`1`.as('attempts'),
          errorCode: sql`null`.as('error_code'),
          errorKind: sql`null`.as('error_kind'),
          errorDetail: sql`null`.as('error_detail'),
          result: sql`null::jsonb`.as('result'),
          startedAt: sql`now()`.as('started_at'),
          updatedAt: sql`now()`.as('updated_at'),
          finishedAt: sql`null::timestamptz`.as('finished_at'),
        })
        .from(sql`(select 1) as one`)
        .where(held(lease)),
    )
    .onConflictDoUpdate({
      target: [sagaSteps.rentalId, sagaSteps.name],
      set: {
        status: 'started',
        attempts: sql`${sagaSteps.attempts} + 1`,
        errorCode: null,
        errorKind: null,
        errorDetail: null,
        finishedAt: null,
        updatedAt: sql`now()`,
      },
    })
    .returning();
  if (!step) throw new LeaseLost(lease.rentalId);
  return step;
}

/**
 * Parks a step until `until`: written as waiting, and the saga's lease set to run out then, so
 * recovery resumes the saga at that time (in whichever process runs it; it survives restarts).
 */
export async function parkStep(db: Db, lease: Lease, name: string, until: Date): Promise<StepWrite> {
  return db.transaction(async (tx) => {
    const rental = await updateHeld(tx, lease, { leaseExpiresAt: until });
    const [step] = await tx
      .insert(sagaSteps)
      .values({
        rentalId: lease.rentalId,
        name,
        kind: 'forward',
        status: 'waiting',
        result: { until: until.toISOString() },
      })
      .onConflictDoUpdate({
        target: [sagaSteps.rentalId, sagaSteps.name],
        set: {
          status: 'waiting',
          result: { until: until.toISOString() },
          errorCode: null,
          errorKind: null,
          errorDetail: null,
          finishedAt: null,
          updatedAt: sql`now()`,
        },
      })
      .returning();
    return { rental, step: step! };
  });
}

/** How a step ended. */
export interface StepOutcome {
  status: Exclude<StepStatus, 'started'>;
  error?: { code: string; kind: string; detail: string };
  result?: Record<string, unknown>;
}

/**
 * Writes how a step ended, fenced by the lease, and, in the same transaction, its effect on the
 * rental (apply, which returns the rental as it changed it, through updateHeld: fenced too, and
 * renewing the lease): status changes and their events commit with the step's record, or not at
 * all. Without an effect it is one statement. The step's row is written whether or not its start
 * was (a local step, which has no call to guard, is written once, when it ends: newAttempt, the
 * attempt's first write, counts it).
 */
export async function finishStep(
  db: Db,
  lease: Lease,
  step: EndedStep,
  outcome: StepOutcome,
  apply?: (tx: Tx) => Promise<RentalRow>,
): Promise<{ rental?: RentalRow; step: StepRow }> {
  const record = async (q: Db | Tx, fenced: boolean): Promise<StepRow> => {
    const [written] = await endWrite(q, lease, step, outcome, fenced ? held(lease) : sql`true`).returning();
    if (!written) throw new LeaseLost(lease.rentalId);
    return written;
  };
  if (!apply) return { step: await record(db, true) };
  return db.transaction(async (tx) => {
    // The effect goes first: its fenced update is the lease check, and it renews the lease.
    const rental = await apply(tx);
    return { rental, step: await record(tx, false) };
  });
}

/**
 * Writes how a step ended and its effect, a change of the rental's columns (renewing the
 * lease), in ONE statement: the step's write is a CTE of the rental's update, both fenced by
 * the lease in the statement's one snapshot. The step's row is not read back: written with
 * this process's clock, it is what `known` (the row as the drive has it, if any) becomes.
 */
export async function finishWithChanges(
  db: Db,
  lease: Lease,
  step: EndedStep & { known: StepRow | undefined },
  outcome: StepOutcome,
  changes: RentalChanges,
): Promise<{ rental: RentalRow; step: StepRow }> {
  const at = new Date();
  const ended = endedColumns(outcome);
  const { known } = step;
  const row: StepRow = {
    rentalId: lease.rentalId,
    name: step.name,
    kind: known?.kind ?? step.kind,
    ...ended,
    attempts: known ? known.attempts + (step.newAttempt ? 1 : 0) : 1,
    startedAt: known?.startedAt ?? at,
    updatedAt: at,
    finishedAt: at,
  };
  const written = db.$with('step', {}).as(endWrite(db, lease, step, outcome, held(lease), at).getSQL());
  const [rental] = await db
    .with(written)
    .update(rentalsTable)
    .set({ leaseExpiresAt: expiresIn(lease.ms), updatedAt: sql`now()`, ...changes })
    .where(and(eq(rentalsTable.id, lease.rentalId), eq(rentalsTable.leaseToken, lease.token)))
    .returning();
  if (!rental) throw new LeaseLost(lease.rentalId);
  return { rental, step: row };
}

/** A step whose end is written: newAttempt when it is the attempt's first write (a local step's). */
export interface EndedStep {
  name: string;
  kind: StepKind;
  newAttempt: boolean;
}

function endedColumns(outcome: StepOutcome) {
  return {
    status: outcome.status,
    errorCode: outcome.error?.code ?? null,
    errorKind: outcome.error?.kind ?? null,
    errorDetail: outcome.error?.detail.slice(0, 2000) ?? null,
    result: outcome.result ?? null,
  };
}

/** The upsert of a step's end, on condition `when`; timestamps from the database, or `at`. */
function endWrite(q: Db | Tx, lease: Lease, step: EndedStep, outcome: StepOutcome, when: SQL, at?: Date) {
  const ended = endedColumns(outcome);
  const time = at ? sql`${at.toISOString()}::timestamptz` : sql`now()`;
  return q
    .insert(sagaSteps)
    .select(
      q
        .select({
          rentalId: sql`${lease.rentalId}::uuid`.as('rental_id'),
          name: sql`${step.name}`.as('name'),
          kind: sql`${step.kind}`.as('kind'),
          status: sql`${ended.status}`.as('status'),
          attempts: sql`1`.as('attempts'),
          errorCode: sql`${ended.errorCode}`.as('error_code'),
          errorKind: sql`${ended.errorKind}`.as('error_kind'),
          errorDetail: sql`${ended.errorDetail}`.as('error_detail'),
          result: sql`${ended.result === null ? null : JSON.stringify(ended.result)}::jsonb`.as('result'),
          startedAt: time.as('started_at'),
          updatedAt: time.as('updated_at'),
          finishedAt: time.as('finished_at'),
        })
        .from(sql`(select 1) as one`)
        .where(when),
    )
    .onConflictDoUpdate({
      target: [sagaSteps.rentalId, sagaSteps.name],
      set: {
        ...ended,
        // A step whose start was not written (a local one) counts its attempts here.
        attempts: step.newAttempt ? sql`${sagaSteps.attempts} + 1` : sagaSteps.attempts,
        finishedAt: time,
        updatedAt: time,
      },
    });
}

/** Changes the rental as the holder of its lease (renewing it); throws LeaseLost when another process holds it. */
export async function updateHeld(
  tx: Db | Tx,
  lease: Lease,
  changes: Partial<typeof rentalsTable.$inferInsert>,
): Promise<RentalRow> {
  const [row] = await tx
    .update(rentalsTable)
    .set({ leaseExpiresAt: expiresIn(lease.ms), updatedAt: sql`now()`, ...changes })
    .where(and(eq(rentalsTable.id, lease.rentalId), eq(rentalsTable.leaseToken, lease.token)))
    .returning();
  if (!row) throw new LeaseLost(lease.rentalId);
  return row;
}

/** Changes a rental's columns (inside a step's transaction, as a rule); returns the rental as changed. */
export async function updateRental(
  tx: Db | Tx,
  id: string,
  changes: Partial<typeof rentalsTable.$inferInsert>,
): Promise<RentalRow> {
  const [row] = await tx
    .update(rentalsTable)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(eq(rentalsTable.id, id))
    .returning();
  if (!row) throw new Error(`Rental ${id} vanished`);
  return row;
}

/**
 * Starts undoing a confirmed rental that was not handed over (a cancellation or a decline),
 * taking its saga lease: compare-and-set from confirmed, so it races neither the handover nor
 * a second cancellation.
 */
export async function beginCancellation(
  db: Db,
  id: string,
  failure: { code: string; detail: string },
  lease: Omit<Lease, 'rentalId'>,
): Promise<RentalRow | undefined> {
  const [row] = await db
    .update(rentalsTable)
    .set({
      status: 'compensating',
      failureCode: failure.code,
      failureDetail: failure.detail,
      leaseToken: lease.token,
      leaseExpiresAt: expiresIn(lease.ms),
      updatedAt: sql`now()`,
    })
    .where(and(eq(rentalsTable.id, id), eq(rentalsTable.status, 'confirmed')))
    .returning();
  return row;
}
