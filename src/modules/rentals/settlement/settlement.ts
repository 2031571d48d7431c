import type postgres from 'postgres';
import { sql as drizzleSql } from 'drizzle-orm';
import { moduleDatabaseUrl } from '../../../shared/config/config.ts';
import type { Db } from '../../../shared/db/database.ts';
import {
  createTwoPhaseCoordinator,
  gidPrefix,
  localFinisher,
  openTwoPhaseClient,
  resolveOrphans,
  TwoPhaseUnsupported,
  type TwoPhaseCoordinator,
} from '../../../shared/db/two-phase/index.ts';
import { OUTBOX_CHANNEL } from '../../../shared/events/publish.ts';
import type { Platform } from '../../../shared/modules/platform.ts';
import type { Logger } from '../../../shared/observability/logger.ts';
import { twoPhaseLog } from '../db/schema.ts';
import type { RentalsSettings } from '../settings.ts';
import { failAbandonedSettleSteps } from './complete-rental.ts';
import { paymentsFinisher } from './payments-participant.ts';

/** The coordinator's name in GIDs, and rentals' own participant name. */
export const COORDINATOR = 'rentals';
export const RENTALS = 'rentals';

/** Two-phase settlement as this deployment can do it. */
export type Settlement =
  | { kind: 'ready'; coordinator: TwoPhaseCoordinator; sql: postgres.Sql; wakeRelay: () => Promise<void> }
  | { kind: 'unsupported'; reason: TwoPhaseUnsupported };

/**
 * Opens rentals' two-phase pool and the settlement coordinator (its log in rentals' database;
 * it finishes rentals' share locally and payments' through the bus). On embedded PGlite, which
 * cannot PREPARE, settlement is unsupported and returns answer 503.
 */
export function openSettlement(platform: Platform, db: Db, settings: RentalsSettings): Settlement {
  let sql: postgres.Sql;
  try {
    sql = openTwoPhaseClient(moduleDatabaseUrl('rentals', platform.config), { max: 8 });
  } catch (error) {
    if (error instanceof TwoPhaseUnsupported) return { kind: 'unsupported', reason: error };
    throw error;
  }
  // Prepared work cannot NOTIFY: the relay is woken once rentals' share is committed.
  const wakeRelay = async () => {
    await db.execute(drizzleSql`select pg_notify(${OUTBOX_CHANNEL}, 'rentals')`).catch(() => {});
  };
  const coordinator = createTwoPhaseCoordinator({
    name: COORDINATOR,
    db,
    table: twoPhaseLog,
    finishers: [
      localFinisher(RENTALS, sql, { onCommitted: wakeRelay }),
      paymentsFinisher(platform.bus, settings.prepareTimeoutMs),
    ],
    prepareTimeoutMs: settings.prepareTimeoutMs,
    finishRetryMs: settings.finishRetryMs,
    staleAfterMs: settings.twoPhaseStaleMs,
    logger: platform.log,
  });
  return { kind: 'ready', coordinator, sql, wakeRelay };
}

/**
 * The coordinator's recovery, as the toolkit's README schedules it: finish logged transactions
 * left unfinished (every run), mark abandoned settle steps failed, resolve rentals' own
 * prepared orphans (every orphanCheckMs), prune old log rows (daily).
 */
export function settlementRecovery(settlement: Settlement, db: Db, settings: RentalsSettings, log: Logger) {
  let lastOrphanCheck = 0;
  let lastPrune = 0;
  return async function recoverSettlements(): Promise<void> {
    if (settlement.kind !== 'ready') return;
    const { coordinator, sql } = settlement;
    const report = await coordinator.recover();
    if (report.committed.length + report.aborted.length > 0)
      log.info({ committed: report.committed, aborted: report.aborted }, 'settlements recovered');
    for (const p of report.pending)
      log.warn(
        { transactionId: p.transactionId, state: p.state, participants: p.participants },
        'settlement not finished yet',
      );
    await failAbandonedSettleSteps(db, 2 * settings.twoPhaseStaleMs);
    const now = Date.now();
    if (now - lastOrphanCheck >= settings.orphanCheckMs) {
      lastOrphanCheck = now;
      // Older than any transaction still being decided, so only orphans are asked about.
      const orphans = await resolveOrphans(
        sql,
        gidPrefix(COORDINATOR, RENTALS),
        (gid) => coordinator.decisionFor(gid),
        2 * settings.twoPhaseStaleMs,
      );
      if (orphans.committed.length > 0) await settlement.wakeRelay();
    }
    if (now - lastPrune >= 86_400_000) {
      lastPrune = now;
      await coordinator.prune(7 * 86_400_000);
    }
  };
}
