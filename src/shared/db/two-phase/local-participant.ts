import type postgres from 'postgres';
import type { ParticipantFinisher, TwoPhaseParticipant } from './coordinator.ts';
import { commitPrepared, prepareTransaction, rollbackPrepared, type PreparedWork } from './participant.ts';

/**
 * Finishes prepared transactions on a database this process connects to (recovery's view of a
 * participant). onCommitted runs after each successful commit (also when the GID was already
 * gone), e.g. to wake the outbox relay, which prepared work cannot NOTIFY.
 */
export function localFinisher(
  name: string,
  sql: postgres.Sql,
  options: { onCommitted?: (gid: string) => Promise<void> } = {},
): ParticipantFinisher {
  return {
    name,
    async commit(gid, vote) {
      await commitPrepared(sql, gid, vote?.xid ? { xid: vote.xid } : {});
      await options.onCommitted?.(gid);
    },
    async rollback(gid, vote) {
      await rollbackPrepared(sql, gid, vote?.xid ? { xid: vote.xid } : {});
    },
  };
}

/** An in-process participant of one transaction: prepares `work` on sql under the GID it is given. */
export function localParticipant(
  name: string,
  sql: postgres.Sql,
  work: (tx: PreparedWork) => Promise<void>,
  options: { deadline?: number; onCommitted?: (gid: string) => Promise<void> } = {},
): TwoPhaseParticipant {
  const finisher = localFinisher(name, sql, options.onCommitted ? { onCommitted: options.onCommitted } : {});
  return {
    ...finisher,
    prepare: (gid) =>
      prepareTransaction(sql, gid, work, options.deadline === undefined ? {} : { deadline: options.deadline }),
  };
}
