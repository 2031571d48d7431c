import { z } from 'zod';

const DAY_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
/** The instants the platform accepts: from 1970 to the end of 9999 (PostgreSQL and JavaScript both hold them). */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10_000, 0, 1);

/**
 * Epoch ms of a period bound given as a whole day (`2026-12-20`, that day in UTC) or an ISO
 * 8601 date-time with offset. A day that starts a period means its first instant (00:00 UTC);
 * a day that ends a period means the end of that day (the next 00:00 UTC, exclusive), so
 * `from=2026-12-20&to=2026-12-20` is that one whole day. Undefined when the text is not a
 * real date or lies outside 1970–9999.
 */
export function boundOf(text: string, role: 'start' | 'end'): number | undefined {
  const day = DAY_ONLY.test(text);
  const ms = Date.parse(day ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2026-02-30 over to March: a day must read back as itself.
  if (day && new Date(ms).toISOString().slice(0, 10) !== text) return undefined;
  const at = day && role === 'end' ? ms + DAY_MS : ms;
  return at < EARLIEST || at > LATEST ? undefined : at;
}

/**
 * A zod schema for a period bound: a whole day or an ISO date-time with offset, between 1970
 * and 9999 (anything else is a 400 before it reaches a database). `role` only changes the
 * description; resolve the value with boundOf.
 */
export function dayOrInstant(role: 'start' | 'end') {
  const meaning =
    role === 'start'
      ? 'A whole day (2026-12-20: from 00:00 UTC that day) or an ISO 8601 date-time with offset (2026-12-20T10:00:00Z)'
      : 'A whole day (2026-12-22: through the end of that day, i.e. until 00:00 UTC the next day) or an ISO 8601 date-time with offset (exclusive)';
  return z
    .union([z.iso.date(), z.iso.datetime({ offset: true })])
    .refine((text) => boundOf(text, role) !== undefined, {
      message: 'must be a real date between 1970-01-01 and 9999-12-31',
    })
    .describe(meaning);
}
