import type postgres from 'postgres';
import type { ParticipantFinisher, TwoPhaseParticipant } from './coordinator.ts';
import { commitPrepared, prepareTransaction, rollbackPrepared, type PreparedWork } from './participant.ts';

/** Finishes prepared transactions on a database this process connects to (recovery's view of a participant). */
export function localFinisher(name: string, sql: postgres.Sql): ParticipantFinisher {
  return {
    name,
    async commit(gid, vote) {
      await commitPrepared(sql, gid, vote?.xid ? { xid: vote.xid } : {});
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
  options: { deadline?: number } = {},
): TwoPhaseParticipant {
  return { ...localFinisher(name, sql), prepare: (gid) => prepareTransaction(sql, gid, work, options) };
}
