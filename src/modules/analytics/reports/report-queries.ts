import { warehouseTime } from '../domain/dates.ts';
import type { ReportPeriod } from '../domain/report-period.ts';
import type { WarehouseSession } from '../warehouse/port.ts';

// Every query runs unchanged on DuckDB and PostgreSQL: $n parameters cast explicitly, sums cast to BIGINT.
const bounds = (p: ReportPeriod) => [warehouseTime(p.from), warehouseTime(p.to)];
const FROM = 'CAST($1 AS TIMESTAMP)';
const TO = 'CAST($2 AS TIMESTAMP)';
const num = (v: unknown) => Number(v ?? 0);

export type RevenueGroup = 'day' | 'category' | 'owner';

/** Fees of rentals completed in the period, by completion day (dim_date), category of the item version rented (dim_item) or owner. */
export async function revenue(db: WarehouseSession, period: ReportPeriod, groupBy: RevenueGroup) {
  const group = {
    day: 'CAST(d.full_date AS VARCHAR)',
    category: "coalesce(i.category, 'unknown')",
    owner: 'f.owner_id',
  }[groupBy];
  const rows = await db.all(
    `SELECT ${group} AS key, f.currency AS currency, count(*) AS rentals, CAST(sum(f.fee) AS BIGINT) AS revenue
     FROM fact_rental f
     JOIN dim_date d ON d.date_key = f.completed_date_key
     LEFT JOIN dim_item i ON i.item_key = f.item_key
     WHERE f.completed_at >= ${FROM} AND f.completed_at < ${TO}
     GROUP BY 1, 2 ORDER BY 1, 2`,
    bounds(period),
  );
  return rows.map((r) => ({
    key: String(r.key),
    currency: String(r.currency),
    rentals: num(r.rentals),
    revenue: { amount: num(r.revenue), currency: String(r.currency) },
  }));
}

const SECONDS_PER_DAY = 86_400;
/** Seconds of [start, end) inside the period, never negative. */
const overlap = (start: string, end: string) =>
  `greatest(CAST(0 AS DOUBLE PRECISION), CAST(extract(epoch FROM least(${end}, ${TO})) - extract(epoch FROM greatest(${start}, ${FROM})) AS DOUBLE PRECISION))`;

/**
 * Booked days over listed days in the period. Listed: from listing to retirement (current
 * dimension row). Booked: confirmed rentals not cancelled, whatever their status is called.
 */
export async function utilization(db: WarehouseSession, period: ReportPeriod, groupBy: 'item' | 'category') {
  const key = groupBy === 'item' ? 'i.item_id' : 'i.category';
  const label = groupBy === 'item' ? 'max(i.title)' : 'i.category';
  const rows = await db.all(
    `WITH listed AS (
       SELECT i.item_id, i.title, i.category, ${overlap('i.listed_at', `coalesce(i.retired_at, ${TO})`)} / ${SECONDS_PER_DAY} AS listed_days
       FROM dim_item i WHERE i.is_current),
     booked AS (
       SELECT f.item_id, sum(${overlap('f.period_from', 'f.period_to')}) / ${SECONDS_PER_DAY} AS booked_days
       FROM fact_rental f WHERE f.confirmed_at IS NOT NULL AND f.cancelled_at IS NULL AND f.period_from < ${TO} AND f.period_to > ${FROM}
       GROUP BY f.item_id)
     SELECT ${key} AS key, ${label} AS label, sum(i.listed_days) AS listed_days, sum(coalesce(b.booked_days, 0)) AS booked_days
     FROM listed i LEFT JOIN booked b ON b.item_id = i.item_id
     WHERE i.listed_days > 0 OR b.booked_days > 0
     GROUP BY ${key} ORDER BY 1`,
    bounds(period),
  );
  const round = (n: number) => Math.round(n * 1_000) / 1_000;
  return rows.map((r) => {
    const listedDays = round(num(r.listed_days));
    const bookedDays = round(num(r.booked_days));
    return {
      key: String(r.key),
      label: String(r.label ?? r.key),
      listedDays,
      bookedDays,
      utilization: listedDays > 0 ? round(bookedDays / listedDays) : null,
    };
  });
}

/** Rentals started, confirmed, cancelled and completed per day (each milestone on its own day). */
export async function rentalsPerDay(db: WarehouseSession, period: ReportPeriod) {
  const milestone = (column: string, name: string) =>
    `SELECT CAST(CAST(${column} AS DATE) AS VARCHAR) AS day, '${name}' AS what FROM fact_rental WHERE ${column} >= ${FROM} AND ${column} < ${TO}`;
  const rows = await db.all(
    `SELECT day,
       sum(CASE WHEN what = 'started' THEN 1 ELSE 0 END) AS started,
       sum(CASE WHEN what = 'confirmed' THEN 1 ELSE 0 END) AS confirmed,
       sum(CASE WHEN what = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
       sum(CASE WHEN what = 'completed' THEN 1 ELSE 0 END) AS completed
     FROM (${milestone('created_at', 'started')} UNION ALL ${milestone('confirmed_at', 'confirmed')} UNION ALL ${milestone('cancelled_at', 'cancelled')} UNION ALL ${milestone('completed_at', 'completed')}) m
     GROUP BY day ORDER BY day`,
    bounds(period),
  );
  return rows.map((r) => ({
    day: String(r.day),
    started: num(r.started),
    confirmed: num(r.confirmed),
    cancelled: num(r.cancelled),
    completed: num(r.completed),
  }));
}

/** One owner's fees of rentals completed in the period: totals, per day and per item. */
export async function ownerEarnings(db: WarehouseSession, period: ReportPeriod, ownerId: string) {
  const params = [...bounds(period), ownerId];
  const where = `f.owner_id = CAST($3 AS VARCHAR) AND f.completed_at >= ${FROM} AND f.completed_at < ${TO}`;
  const money = (r: Record<string, unknown>) => ({ amount: num(r.earnings), currency: String(r.currency) });
  const [totals, byDay, byItem] = await Promise.all([
    db.all(
      `SELECT f.currency, count(*) AS rentals, CAST(sum(f.fee) AS BIGINT) AS earnings FROM fact_rental f WHERE ${where} GROUP BY 1 ORDER BY 1`,
      params,
    ),
    db.all(
      `SELECT CAST(d.full_date AS VARCHAR) AS day, f.currency, count(*) AS rentals, CAST(sum(f.fee) AS BIGINT) AS earnings
       FROM fact_rental f JOIN dim_date d ON d.date_key = f.completed_date_key WHERE ${where} GROUP BY 1, 2 ORDER BY 1, 2`,
      params,
    ),
    db.all(
      `SELECT f.item_id, max(i.title) AS title, f.currency, count(*) AS rentals, CAST(sum(f.fee) AS BIGINT) AS earnings
       FROM fact_rental f LEFT JOIN dim_item i ON i.item_id = f.item_id AND i.is_current WHERE ${where} GROUP BY 1, 3 ORDER BY 1, 3`,
      params,
    ),
  ]);
  return {
    totals: totals.map((r) => ({ currency: String(r.currency), rentals: num(r.rentals), earnings: money(r) })),
    byDay: byDay.map((r) => ({
      day: String(r.day),
      currency: String(r.currency),
      rentals: num(r.rentals),
      earnings: money(r),
    })),
    byItem: byItem.map((r) => ({
      itemId: String(r.item_id),
      title: (r.title as string | null) ?? null,
      currency: String(r.currency),
      rentals: num(r.rentals),
      earnings: money(r),
    })),
  };
}

/**
 * An experiment's outcome per variant: each user counts once, in the variant they were first
 * shown; their outcome is the rentals they started at or after that exposure.
 */
export async function experimentOutcomes(db: WarehouseSession, flag: string) {
  const outcomes = `FROM fact_experiment_exposure e
     LEFT JOIN fact_rental f ON f.renter_id = e.user_id AND f.created_at >= e.exposed_at
     WHERE e.flag = CAST($1 AS VARCHAR)`;
  const [variants, fees] = await Promise.all([
    db.all(
      `SELECT e.variant, count(DISTINCT e.user_id) AS users, count(DISTINCT f.renter_id) AS renters,
         count(f.rental_id) AS rentals, sum(CASE WHEN f.completed_at IS NOT NULL THEN 1 ELSE 0 END) AS completed
       ${outcomes} GROUP BY 1 ORDER BY 1`,
      [flag],
    ),
    db.all(
      `SELECT e.variant, f.currency, CAST(sum(f.fee) AS BIGINT) AS fees
       ${outcomes} AND f.completed_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`,
      [flag],
    ),
  ]);
  const ratio = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null);
  return variants.map((r) => {
    const users = num(r.users);
    const rentals = num(r.rentals);
    const renters = num(r.renters);
    return {
      variant: String(r.variant),
      users,
      renters,
      conversion: ratio(renters, users),
      rentals,
      rentalsPerUser: ratio(rentals, users),
      completed: num(r.completed),
      fees: fees
        .filter((f) => f.variant === r.variant)
        .map((f) => ({ amount: num(f.fees), currency: String(f.currency) })),
    };
  });
}
