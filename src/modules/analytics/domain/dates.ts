/** A UTC instant as the warehouse stores it: a timestamp without zone, e.g. 2026-12-07 04:31:34.123. */
export function warehouseTime(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').replace('Z', '');
}

/** The UTC calendar day of an instant, as YYYY-MM-DD. */
export const dayOf = (iso: string): string => new Date(iso).toISOString().slice(0, 10);

/** The date dimension's key of an instant's UTC day: YYYYMMDD. */
export const dateKeyOf = (iso: string): number => Number(dayOf(iso).replaceAll('-', ''));

/** The date dimension's row of a key. */
export function dateRow(key: number) {
  const year = Math.floor(key / 10_000);
  const month = Math.floor(key / 100) % 100;
  const day = key % 100;
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return {
    date_key: key,
    full_date: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    year,
    quarter: Math.ceil(month / 3),
    month,
    day,
    iso_day_of_week: weekday === 0 ? 7 : weekday,
  };
}
