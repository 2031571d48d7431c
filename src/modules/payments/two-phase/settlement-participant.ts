import type postgres from 'postgres';
import { z } from 'zod';
import type { Bus } from '../../../shared/bus/bus.ts';
import { systemContext } from '../../../shared/bus/context.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { moduleDatabaseUrl } from '../../../shared/config/config.ts';
import { envSettings } from '../../../shared/config/env-settings.ts';
import {
  gidPrefix,
  openTwoPhaseClient,
  parseGid,
  resolveOrphans,
  TwoPhaseDeadlineExceeded,
  TwoPhaseHeuristicMismatch,
  TwoPhaseInvalidGid,
  TwoPhaseUnsupported,
} from '../../../shared/db/two-phase/index.ts';
import type { Platform } from '../../../shared/modules/platform.ts';
import { every, type Periodic } from '../../../shared/time/every.ts';
import { rentals } from '../../rentals/contract.ts';
import { payments } from '../contract.ts';

/** The coordinator whose settlements payments takes part in, and this participant's name in their GIDs. */
const COORDINATOR = 'rentals';
const PARTICIPANT = 'payments';

const settingsSchema = z.object({
  // How often prepared settlements left behind (a coordinator or this process died) are resolved, and from what age.
  PAYMENTS_ORPHAN_CHECK_MS: z.coerce.number().int().min(100).default(30_000),
  PAYMENTS_ORPHAN_AGE_MS: z.coerce.number().int().min(0).default(60_000),
});

/** payments as a participant of rentals' two-phase settlements. */
export interface SettlementParticipant {
  /** A pool for prepared transactions on payments' database; undefined where it cannot prepare (PGlite). */
  sql: postgres.Sql | undefined;
  /** Why this deployment cannot take part, when it cannot. */
  unsupported: TwoPhaseUnsupported | undefined;
  /** Resolves orphans at once and then periodically, asking rentals for each decision. */
  start(bus: Bus): void;
  stop(): Promise<void>;
}

/** Opens payments' two-phase pool (none on embedded PGlite) and its orphan resolution. */
export function settlementParticipant(platform: Platform): SettlementParticipant {
  const settings = envSettings(settingsSchema, process.env, 'PAYMENTS_ORPHAN_');
  let sql: postgres.Sql | undefined;
  let unsupported: TwoPhaseUnsupported | undefined;
  try {
    sql = openTwoPhaseClient(moduleDatabaseUrl('payments', platform.config));
  } catch (error) {
    if (!(error instanceof TwoPhaseUnsupported)) throw error;
    unsupported = error;
  }
  let sweep: Periodic | undefined;
  const { log } = platform;

  const resolve = async (bus: Bus) => {
    if (!sql) return;
    const ask = async (gid: string) =>
      (await bus.call(rentals.ops.twoPhaseDecision, { gid }, systemContext({ timeoutMs: 5_000 }))).decision;
    try {
      const report = await resolveOrphans(
        sql,
        gidPrefix(COORDINATOR, PARTICIPANT),
        ask,
        settings.PAYMENTS_ORPHAN_AGE_MS,
      );
      if (report.committed.length + report.rolledBack.length > 0)
        log.info({ committed: report.committed, rolledBack: report.rolledBack }, 'prepared settlements resolved');
      for (const f of report.failed)
        log.warn(
          { gid: f.gid, err: f.error instanceof Error ? f.error.message : String(f.error) },
          'prepared settlement not resolved yet',
        );
    } catch (error) {
      // max_prepared_transactions = 0 is reported once, by the first settlement that needs it.
      if (!(error instanceof TwoPhaseUnsupported))
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'orphan resolution failed');
    }
  };

  return {
    sql,
    unsupported,
    start(bus) {
      if (!sql) return;
      sweep = every(settings.PAYMENTS_ORPHAN_CHECK_MS, () => resolve(bus), log, {
        name: 'payments orphan resolution',
        immediately: true,
      });
    },
    async stop() {
      await sweep?.stop();
      await sql?.end({ timeout: 5 });
    },
  };
}

/** The pool a settlement call uses, or the reason there is none. */
export function settlementPool(participant: SettlementParticipant): postgres.Sql {
  if (!participant.sql)
    throw payments.error(
      'settlementUnsupported',
      participant.unsupported?.message ?? 'Two-phase commit is not available.',
    );
  return participant.sql;
}

/** Checks that gid is one of rentals' settlement GIDs addressed to payments. */
export function checkSettlementGid(gid: string): void {
  let parts: ReturnType<typeof parseGid>;
  try {
    parts = parseGid(gid);
  } catch (error) {
    if (error instanceof TwoPhaseInvalidGid) throw payments.error('invalidTransactionId', error.message);
    throw error;
  }
  if (parts.coordinator !== COORDINATOR || parts.participant !== PARTICIPANT) {
    throw payments.error(
      'invalidTransactionId',
      `${gid} is not a ${COORDINATOR} settlement addressed to ${PARTICIPANT}.`,
    );
  }
}

/** The toolkit's errors as payments' contract errors; business errors pass through. */
export function asPaymentsError(error: unknown): unknown {
  if (error instanceof TwoPhaseUnsupported) return payments.error('settlementUnsupported', error.message);
  if (error instanceof TwoPhaseHeuristicMismatch) return payments.error('settlementOutcomeMismatch', error.message);
  if (error instanceof TwoPhaseInvalidGid) return payments.error('invalidTransactionId', error.message);
  if (error instanceof TwoPhaseDeadlineExceeded) return platformErrors.deadlineExceeded('payments.prepareSettlement');
  return error;
}
