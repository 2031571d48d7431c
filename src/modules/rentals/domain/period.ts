import { MAX_RENTAL_DAYS } from '../contract.ts';

export const DAY_MS = 86_400_000;

/** A rental period, half-open [from, to). */
export interface Period {
  from: Date;
  to: Date;
}

export type PeriodCheck = { ok: true; period: Period; days: number } | { ok: false; problem: string };

/**
 * A period someone may rent for: it starts in the future, ends after it starts, and lasts at
 * most maxDays. It is charged by the day, a started day counting as a whole one.
 */
export function checkPeriod(from: string | Date, to: string | Date, now: Date, maxDays = MAX_RENTAL_DAYS): PeriodCheck {
  const start = new Date(from);
  const end = new Date(to);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) return { ok: false, problem: 'from and to must be valid instants.' };
  if (start.getTime() <= now.getTime()) return { ok: false, problem: `The rental must start in the future (from ${start.toISOString()} is not after ${now.toISOString()}).` };
  if (end.getTime() <= start.getTime()) return { ok: false, problem: `The rental must end after it starts (to ${end.toISOString()} is not after from ${start.toISOString()}).` };
  const days = rentalDays({ from: start, to: end });
  if (days > maxDays) return { ok: false, problem: `A rental lasts at most ${maxDays} days; this one would last ${days}.` };
  return { ok: true, period: { from: start, to: end }, days };
}

/** Days charged for a period: every started day counts. */
export function rentalDays(period: Period): number {
  return Math.max(1, Math.ceil((period.to.getTime() - period.from.getTime()) / DAY_MS));
}

/** Whether two half-open periods share an instant. */
export function overlaps(a: Period, b: Period): boolean {
  return a.from.getTime() < b.to.getTime() && b.from.getTime() < a.to.getTime();
}
