import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const analyticsSchema = pgSchema('analytics');

export interface TableCounts {
  extracted: number;
  loaded: number;
  since: string;
  until: string | null;
}

/**
 * Every warehouse ETL run. A running run holds the ETL lease (lease_until) and renews it as
 * it goes; one whose lease lapsed (its process died) is marked abandoned by the next claim.
 * The warehouse itself (DuckDB or WAREHOUSE_URL) holds the data and the watermarks.
 */
export const etlRuns = analyticsSchema.table(
  'etl_runs',
  {
    id: uuid('id').primaryKey(),
    mode: text('mode', { enum: ['incremental', 'full', 'rebuild'] }).notNull(),
    engine: text('engine', { enum: ['duckdb', 'postgres'] }).notNull(),
    status: text('status', { enum: ['running', 'succeeded', 'failed', 'abandoned'] })
      .notNull()
      .default('running'),
    trigger: text('trigger', { enum: ['api', 'schedule', 'cli'] }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    leaseUntil: timestamp('lease_until', { withTimezone: true }).notNull(),
    windowFrom: timestamp('window_from', { withTimezone: true }),
    tables: jsonb('tables').$type<Record<string, TableCounts>>().notNull().default({}),
    durationMs: integer('duration_ms'),
    error: text('error'),
  },
  (t) => [
    index('etl_runs_started_idx').on(t.startedAt),
    index('etl_runs_running_idx').on(t.status).where(sql`status = 'running'`),
    check('etl_runs_status_check', sql`${t.status} in ('running', 'succeeded', 'failed', 'abandoned')`),
  ],
);
