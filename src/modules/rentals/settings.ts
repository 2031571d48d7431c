import { z } from 'zod';
import { envSettings } from '../../shared/config/env-settings.ts';
import { MAX_RENTAL_DAYS } from './contract.ts';

const ms = (fallback: number) => z.coerce.number().int().min(1).max(86_400_000).default(fallback);

/** The rentals module's own settings, from the environment (all optional). */
const settingsSchema = z.object({
  // How long one saga step (a call to inventory or payments) may take before it counts as failed.
  RENTALS_STEP_TIMEOUT_MS: ms(3_000),
  // Attempts of a forward step whose call got no answer, before the saga is undone.
  RENTALS_STEP_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2),
  // How long a process may drive a saga without renewing its lease; then recovery takes over.
  RENTALS_SAGA_LEASE_MS: ms(15_000),
  // How often the recovery worker resumes interrupted sagas and finishes settlements.
  RENTALS_RECOVERY_INTERVAL_MS: ms(5_000),
  // Settlement (two-phase commit): prepare timeout, how long a return retries commits/rollbacks
  // before leaving them to recovery (both short: a return answers within a bus hop's timeout),
  // and the age after which recovery takes over a transaction.
  RENTALS_PREPARE_TIMEOUT_MS: ms(2_000),
  RENTALS_FINISH_RETRY_MS: ms(500),
  RENTALS_TWO_PHASE_STALE_MS: ms(30_000),
  RENTALS_TWO_PHASE_RECOVERY_MS: ms(10_000),
  RENTALS_ORPHAN_CHECK_MS: ms(60_000),
  // How far ahead a rental may start, and how long it may last, in days.
  RENTALS_MAX_ADVANCE_DAYS: z.coerce.number().int().min(1).max(3_650).default(365),
  RENTALS_MAX_DAYS: z.coerce.number().int().min(1).max(3_650).default(MAX_RENTAL_DAYS),
  // Share of each rental fee the platform keeps, in basis points (1/100 %).
  RENTALS_PLATFORM_FEE_BPS: z.coerce.number().int().min(0).max(10_000).default(0),
  // Test hooks, ignored in production: fail a step, or SIGKILL the process at a point of the saga.
  RENTALS_FAIL_STEP: z.string().optional(),
  RENTALS_CRASH_AT: z.string().optional(),
});

export interface RentalsSettings {
  stepTimeoutMs: number;
  stepAttempts: number;
  leaseMs: number;
  recoveryIntervalMs: number;
  prepareTimeoutMs: number;
  finishRetryMs: number;
  twoPhaseStaleMs: number;
  twoPhaseRecoveryMs: number;
  orphanCheckMs: number;
  platformFeeBasisPoints: number;
  maxAdvanceDays: number;
  maxDays: number;
  failStep: string | undefined;
  crashAt: string | undefined;
}

/** Reads the settings; throws one line naming the first bad variable. */
export function rentalsSettingsFrom(env: Record<string, string | undefined>): RentalsSettings {
  const s = envSettings(settingsSchema, env, 'RENTALS_');
  // A drive renews its lease before every step; a step (with its retries) must fit in it.
  if (s.RENTALS_SAGA_LEASE_MS < 2 * s.RENTALS_STEP_TIMEOUT_MS) {
    throw new Error('Invalid configuration: RENTALS_SAGA_LEASE_MS must be at least twice RENTALS_STEP_TIMEOUT_MS');
  }
  return {
    stepTimeoutMs: s.RENTALS_STEP_TIMEOUT_MS,
    stepAttempts: s.RENTALS_STEP_ATTEMPTS,
    leaseMs: s.RENTALS_SAGA_LEASE_MS,
    recoveryIntervalMs: s.RENTALS_RECOVERY_INTERVAL_MS,
    prepareTimeoutMs: s.RENTALS_PREPARE_TIMEOUT_MS,
    finishRetryMs: s.RENTALS_FINISH_RETRY_MS,
    twoPhaseStaleMs: s.RENTALS_TWO_PHASE_STALE_MS,
    twoPhaseRecoveryMs: s.RENTALS_TWO_PHASE_RECOVERY_MS,
    orphanCheckMs: s.RENTALS_ORPHAN_CHECK_MS,
    platformFeeBasisPoints: s.RENTALS_PLATFORM_FEE_BPS,
    maxAdvanceDays: s.RENTALS_MAX_ADVANCE_DAYS,
    maxDays: s.RENTALS_MAX_DAYS,
    failStep: s.RENTALS_FAIL_STEP,
    crashAt: s.RENTALS_CRASH_AT,
  };
}
