const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * A half-open period [from, to) as people say it, in whole UTC days: "3–5 July", "30 June – 2
 * July", "30 December 2030 – 2 January 2031". A period ending at midnight ends the day before;
 * the year is said when it is not the year of `now`.
 */
export function periodText(from: Date, to: Date, now: Date): string {
  const last = new Date(Math.max(from.getTime(), to.getTime() - 1));
  const [d1, m1, y1] = [from.getUTCDate(), from.getUTCMonth(), from.getUTCFullYear()];
  const [d2, m2, y2] = [last.getUTCDate(), last.getUTCMonth(), last.getUTCFullYear()];
  const year = (y: number) => (y === now.getUTCFullYear() ? '' : ` ${y}`);
  if (y1 !== y2) return `${d1} ${MONTHS[m1]} ${y1} – ${d2} ${MONTHS[m2]} ${y2}`;
  if (m1 !== m2) return `${d1} ${MONTHS[m1]} – ${d2} ${MONTHS[m2]}${year(y2)}`;
  if (d1 !== d2) return `${d1}–${d2} ${MONTHS[m2]}${year(y2)}`;
  return `${d1} ${MONTHS[m1]}${year(y1)}`;
}
