import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, type PgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** The states of a distributed transaction in its coordinator's decision log. */
export const twoPhaseStates = ['preparing', 'committing', 'aborting', 'done'] as const;
export type TwoPhaseState = (typeof twoPhaseStates)[number];

/** A participant as logged: its name and, once it voted yes, its transaction's xid8. */
export interface LoggedParticipant {
  name: string;
  xid: string | null;
}

export const TWO_PHASE_LOG_TABLE = 'two_phase_log';

// Written so that no branch evaluates to NULL (a NULL check passes).
const OUTCOME_CHECK =
  "(state = 'preparing' and outcome is null) or (state = 'committing' and outcome is not distinct from 'commit') or " +
  "(state = 'aborting' and outcome is not distinct from 'abort') or (state = 'done' and outcome is not null and outcome in ('commit', 'abort'))";

/**
 * The coordinator's durable decision log, as a drizzle table in the coordinator module's own
 * schema (export it from the module's db/schema.ts so drizzle-kit writes the migration):
 *
 *   export const twoPhaseLog = twoPhaseLogTable(rentalsSchema);
 *
 * One row per distributed transaction. `state` moves preparing → committing | aborting → done;
 * `outcome` is the decision (null while preparing) and stays after done, so late questions
 * about a GID are answered correctly until the row is pruned.
 */
export function twoPhaseLogTable(schema: PgSchema<string>) {
  return schema.table(
    TWO_PHASE_LOG_TABLE,
    {
      id: uuid('id').primaryKey(),
      participants: jsonb('participants').$type<LoggedParticipant[]>().notNull(),
      state: text('state', { enum: twoPhaseStates }).notNull(),
      outcome: text('outcome', { enum: ['commit', 'abort'] }),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      decidedAt: timestamp('decided_at', { withTimezone: true }),
      completedAt: timestamp('completed_at', { withTimezone: true }),
      attempts: integer('attempts').notNull().default(0),
      lastError: text('last_error'),
    },
    (t) => [
      index(`${TWO_PHASE_LOG_TABLE}_pending_idx`).on(t.createdAt).where(sql`state <> 'done'`),
      check(`${TWO_PHASE_LOG_TABLE}_state_check`, sql`state in ('preparing', 'committing', 'aborting', 'done')`),
      check(`${TWO_PHASE_LOG_TABLE}_outcome_check`, sql.raw(OUTCOME_CHECK)),
    ],
  );
}

export type TwoPhaseLogTable = ReturnType<typeof twoPhaseLogTable>;

/** The same table as SQL, for hand-written migrations and tests. */
export function twoPhaseLogDdl(schema: string): string {
  const s = `"${schema.replaceAll('"', '""')}"`;
  const t = TWO_PHASE_LOG_TABLE;
  return `
create schema if not exists ${s};
create table if not exists ${s}.${t} (
  id uuid primary key,
  participants jsonb not null,
  state text not null,
  outcome text,
  created_at timestamp with time zone not null default now(),
  decided_at timestamp with time zone,
  completed_at timestamp with time zone,
  attempts integer not null default 0,
  last_error text,
  constraint ${t}_state_check check (state in ('preparing', 'committing', 'aborting', 'done')),
  constraint ${t}_outcome_check check (${OUTCOME_CHECK})
);
create index if not exists ${t}_pending_idx on ${s}.${t} using btree (created_at) where state <> 'done';
`;
}
