import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db, Tx } from '../database.ts';

interface Shared {
  db: Db;
  transactionId: string;
  tx: Tx;
}

const current = new AsyncLocalStorage<Shared>();

/**
 * The one-phase optimisation of a distributed transaction: when every participant lives in
 * the same database and the same process, they all write in ONE local transaction instead of
 * preparing and committing each share. Runs `work` in a transaction on `db` under
 * `transactionId`; a participant reached from inside it (an in-process bus call, which keeps
 * the async context) joins it with {@link joinOnePhase}. Commits when work resolves, rolls
 * everything back when it throws: all shares or none, like two-phase commit, with no
 * prepared transactions (so it works on PGlite and on PostgreSQL with
 * max_prepared_transactions = 0) and nothing to recover after a crash.
 */
export function runOnePhase<T>(db: Db, transactionId: string, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction((tx) => current.run({ db, transactionId, tx }, () => work(tx)));
}

/**
 * The transaction of one-phase transaction `transactionId` when the caller runs inside it on
 * the same database (`db` is the caller's own handle: modules that share a database share
 * it); undefined otherwise (another process, another database, no such transaction), and
 * the participant must then answer so that the coordinator falls back to two-phase commit.
 */
export function joinOnePhase(db: Db, transactionId: string): Tx | undefined {
  const shared = current.getStore();
  return shared && shared.db === db && shared.transactionId === transactionId ? shared.tx : undefined;
}
