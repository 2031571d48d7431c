import { tracingOn, withChildSpan } from '../observability/tracing.ts';
import type { Database } from './database.ts';

/**
 * While tracing is on, runs each `db.transaction(...)` of the database in a span `db transaction`
 * under the current span; otherwise returns the database untouched (no cost per transaction).
 */
export function traceTransactions(database: Database, name: string): Database {
  if (!tracingOn()) return database;
  const { db } = database;
  const transaction = db.transaction.bind(db);
  const attributes = { 'db.system': 'postgresql', 'db.namespace': name };
  db.transaction = ((run, config) =>
    withChildSpan('db transaction', attributes, () => transaction(run, config))) as typeof db.transaction;
  return database;
}
