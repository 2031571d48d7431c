const DAY_MS = 86_400_000;
/** The longest period a report covers. */
export const MAX_REPORT_DAYS = 3_660;
const DEFAULT_DAYS = 30;

export interface ReportPeriod {
  from: string;
  to: string;
}

/**
 * A report's half-open period [from, to) from its query: a date is 00:00 UTC; to defaults to
 * now, from to 30 days before to. Returns a reason instead when it is empty or too long.
 */
export function reportPeriod(
  input: { from?: string | undefined; to?: string | undefined },
  now = Date.now(),
): ReportPeriod | { invalid: string } {
  const instant = (value: string) => Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  const to = input.to ? instant(input.to) : now;
  const from = input.from ? instant(input.from) : to - DEFAULT_DAYS * DAY_MS;
  if (!(from < to)) return { invalid: 'from must be before to.' };
  if (to - from > MAX_REPORT_DAYS * DAY_MS) return { invalid: `A report covers at most ${MAX_REPORT_DAYS} days.` };
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}
