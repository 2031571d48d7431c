import { boundOf } from '../../../shared/time/day-or-instant.ts';

export const DAY_MS = 86_400_000;

/** A rental period, half-open [from, to). */
export interface Period {
  from: Date;
  to: Date;
}

/** How far ahead a rental may start and how long it may last (settings). */
export interface PeriodLimits {
  maxDays: number;
  maxAdvanceDays: number;
}

export type PeriodProblem = 'invalidPeriod' | 'periodTooLong' | 'startsTooFarAhead';
export type PeriodCheck =
  | { ok: true; period: Period; days: number }
  | { ok: false; reason: PeriodProblem; problem: string };

/** 00:00 UTC of the day `now` falls in. */
export function startOfDay(now: Date): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
}

/**
 * A period someone may rent for. `from` and `to` are whole days (from 00:00 UTC of `from`,
 * through the end of `to`) or instants. It may start today (at the earliest at 00:00 UTC of
 * the current day), ends after it starts, starts at most maxAdvanceDays from now and lasts at
 * most maxDays. It is charged by the day, a started day counting as a whole one.
 */
export function checkPeriod(from: string, to: string, now: Date, limits: PeriodLimits): PeriodCheck {
  const start = boundOf(from, 'start');
  const end = boundOf(to, 'end');
  if (start === undefined || end === undefined)
    return {
      ok: false,
      reason: 'invalidPeriod',
      problem: 'from and to must be days (2026-12-20) or ISO date-times between 1970 and 9999.',
    };
  const today = startOfDay(now);
  const period = { from: new Date(start), to: new Date(end) };
  if (start < today.getTime()) {
    return {
      ok: false,
      reason: 'invalidPeriod',
      problem: `A rental starts today (${today.toISOString().slice(0, 10)}) at the earliest; ${period.from.toISOString()} is in the past.`,
    };
  }
  if (end <= start)
    return {
      ok: false,
      reason: 'invalidPeriod',
      problem: `The rental must end after it starts (to ${period.to.toISOString()} is not after from ${period.from.toISOString()}).`,
    };
  const latestStart = now.getTime() + limits.maxAdvanceDays * DAY_MS;
  if (start > latestStart) {
    return {
      ok: false,
      reason: 'startsTooFarAhead',
      problem: `A rental may start at most ${limits.maxAdvanceDays} days ahead (by ${new Date(latestStart).toISOString()}); this one starts ${period.from.toISOString()}.`,
    };
  }
  const days = rentalDays(period);
  if (days > limits.maxDays)
    return {
      ok: false,
      reason: 'periodTooLong',
      problem: `A rental lasts at most ${limits.maxDays} days; this one would last ${days}.`,
    };
  return { ok: true, period, days };
}

/** Days charged for a period: every started day counts. */
export function rentalDays(period: Period): number {
  return Math.max(1, Math.ceil((period.to.getTime() - period.from.getTime()) / DAY_MS));
}

/** Whether two half-open periods share an instant. */
export function overlaps(a: Period, b: Period): boolean {
  return a.from.getTime() < b.to.getTime() && b.from.getTime() < a.to.getTime();
}
