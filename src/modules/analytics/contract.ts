import { z } from 'zod';
import { defineContract, op } from '../../shared/bus/contract.ts';

const dateOrTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);
const period = {
  from: dateOrTime.optional().describe('Start, inclusive (a date is 00:00 UTC); default 30 days before to'),
  to: dateOrTime.optional().describe('End, exclusive (a date means the start of that day, UTC); default now'),
};
const reportPeriod = z.object({ from: z.iso.datetime(), to: z.iso.datetime() });

const tableCounts = z.object({
  extracted: z.int().describe('Rows the source module exported in the window'),
  loaded: z.int().describe('Warehouse rows written (merged) from them'),
  since: z.string().describe("The source's safe point this run started from (a transaction id)"),
  until: z.string().nullable().describe('The safe point it read up to; the next run starts there'),
});

/** One ETL run as recorded: what it read, what it wrote, how long it took and how it ended. */
export const warehouseRunSchema = z
  .object({
    id: z.uuid(),
    mode: z.enum(['incremental', 'full', 'rebuild']),
    engine: z.enum(['duckdb', 'postgres']),
    status: z
      .enum(['running', 'succeeded', 'failed', 'abandoned'])
      .describe('abandoned: its process stopped mid-run; nothing of it was committed'),
    trigger: z.enum(['api', 'schedule', 'cli']),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    durationMs: z.int().nullable(),
    window: z.object({
      from: z.iso
        .datetime()
        .nullable()
        .describe('Where the last successful run stopped; null for the first or a full run'),
      to: z.iso.datetime(),
    }),
    tables: z
      .record(z.string(), tableCounts)
      .describe('Per source: users, item_history, rentals, ledger, exposures (loaded in that order)'),
    error: z.string().nullable(),
  })
  .meta({ id: 'WarehouseRun' });

const money = z.object({ amount: z.int(), currency: z.string() });

export const analytics = defineContract({
  name: 'analytics',
  version: 1,
  minor: 1,
  errors: {
    notAdmin: 'forbidden',
    runInProgress: 'conflict',
    runNotFound: 'not_found',
    invalidPeriod: 'invalid',
    warehouseUnavailable: 'unavailable',
  },
  ops: {
    // Operator: loads what changed in every module since the last run into the warehouse, in the background.
    startRun: op({
      kind: 'command',
      summary: 'Start a warehouse ETL run (admin)',
      input: z.strictObject({
        mode: z
          .enum(['incremental', 'full', 'rebuild'])
          .default('incremental')
          .describe(
            'incremental: changes since the last run; full: everything again, merged; rebuild: drop the warehouse and load everything',
          ),
        trigger: z.enum(['api', 'cli']).default('api').describe('Who asked, for the run record'),
      }),
      output: warehouseRunSchema,
      errors: ['notAdmin', 'runInProgress', 'warehouseUnavailable'],
      http: {
        method: 'post',
        path: '/v1/admin/warehouse/runs',
        status: 202,
        auth: 'required',
        tag: 'Analytics',
        description:
          'Answers with the run record at once; follow it with GET /v1/admin/warehouse/runs/{id}. 409 while another run holds the lease.',
      },
    }),
    // Operator: the latest runs, newest first.
    listRuns: op({
      kind: 'query',
      summary: 'List warehouse ETL runs (admin)',
      input: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
      output: z.object({ runs: z.array(warehouseRunSchema) }),
      errors: ['notAdmin'],
      http: {
        method: 'get',
        path: '/v1/admin/warehouse/runs',
        status: 200,
        auth: 'required',
        tag: 'Analytics',
        query: ['limit'],
      },
    }),
    // Operator: one run, with its progress while it runs.
    getRun: op({
      kind: 'query',
      summary: 'Get a warehouse ETL run (admin)',
      input: z.strictObject({ id: z.uuid() }),
      output: warehouseRunSchema,
      errors: ['notAdmin', 'runNotFound'],
      http: {
        method: 'get',
        path: '/v1/admin/warehouse/runs/{id}',
        status: 200,
        auth: 'required',
        tag: 'Analytics',
        params: ['id'],
      },
    }),
    // Operator: writes the warehouse as Parquet files (facts partitioned by date) under the server's data directory.
    exportWarehouse: op({
      kind: 'command',
      // Writes every table: longer than a hop's default timeout.
      timeoutMs: 300_000,
      summary: 'Export the warehouse as Parquet (admin)',
      input: z.strictObject({}),
      output: z.object({
        directory: z.string().describe('Absolute path on the server'),
        tables: z.array(z.object({ name: z.string(), partitionBy: z.string().nullable() })),
      }),
      errors: ['notAdmin', 'warehouseUnavailable'],
      http: { method: 'post', path: '/v1/admin/warehouse/exports', status: 201, auth: 'required', tag: 'Analytics' },
    }),
    // Operator: fees of completed rentals by completion day, item category (as it was when rented) or owner.
    revenueReport: op({
      kind: 'query',
      timeoutMs: 30_000,
      summary: 'Revenue report (admin)',
      input: z.strictObject({ ...period, groupBy: z.enum(['day', 'category', 'owner']).default('day') }),
      output: z
        .object({
          period: reportPeriod,
          groupBy: z.enum(['day', 'category', 'owner']),
          rows: z.array(
            z.object({
              key: z.string().describe('The day (YYYY-MM-DD), category or owner id'),
              currency: z.string(),
              rentals: z.int(),
              revenue: money,
            }),
          ),
        })
        .meta({ id: 'RevenueReport' }),
      errors: ['notAdmin', 'invalidPeriod', 'warehouseUnavailable'],
      http: {
        method: 'get',
        path: '/v1/admin/analytics/revenue',
        status: 200,
        auth: 'required',
        tag: 'Analytics',
        query: ['from', 'to', 'groupBy'],
        description: 'Reads the warehouse: as fresh as its last ETL run.',
      },
    }),
    // Operator: booked days over listed days in the period, per item or per category.
    utilizationReport: op({
      kind: 'query',
      timeoutMs: 30_000,
      summary: 'Utilization report (admin)',
      input: z.strictObject({ ...period, groupBy: z.enum(['item', 'category']).default('category') }),
      output: z
        .object({
          period: reportPeriod,
          groupBy: z.enum(['item', 'category']),
          rows: z.array(
            z.object({
              key: z.string().describe('Item id or category'),
              label: z.string().describe("The item's title, or the category"),
              listedDays: z.number().describe('Days the items were listed in the period'),
              bookedDays: z.number().describe('Days of confirmed rentals (not cancelled) in the period'),
              utilization: z.number().nullable().describe('bookedDays / listedDays; null when nothing was listed'),
            }),
          ),
        })
        .meta({ id: 'UtilizationReport' }),
      errors: ['notAdmin', 'invalidPeriod', 'warehouseUnavailable'],
      http: {
        method: 'get',
        path: '/v1/admin/analytics/utilization',
        status: 200,
        auth: 'required',
        tag: 'Analytics',
        query: ['from', 'to', 'groupBy'],
        description: 'Reads the warehouse: as fresh as its last ETL run.',
      },
    }),
    // Operator: rentals started, confirmed, cancelled and completed per day.
    rentalsReport: op({
      kind: 'query',
      timeoutMs: 30_000,
      summary: 'Rentals per day (admin)',
      input: z.strictObject(period),
      output: z
        .object({
          period: reportPeriod,
          rows: z.array(
            z.object({
              day: z.iso.date(),
              started: z.int(),
              confirmed: z.int(),
              cancelled: z.int(),
              completed: z.int(),
            }),
          ),
        })
        .meta({ id: 'RentalsReport' }),
      errors: ['notAdmin', 'invalidPeriod', 'warehouseUnavailable'],
      http: {
        method: 'get',
        path: '/v1/admin/analytics/rentals',
        status: 200,
        auth: 'required',
        tag: 'Analytics',
        query: ['from', 'to'],
        description: 'Reads the warehouse: as fresh as its last ETL run.',
      },
    }),
    // Operator: an A/B experiment's outcome per variant: users exposed, how many rented afterwards, and how much.
    experimentReport: op({
      kind: 'query',
      timeoutMs: 30_000,
      summary: 'Experiment outcomes per variant (admin)',
      input: z.strictObject({
        flag: z
          .string()
          .min(1)
          .max(100)
          .regex(/^[A-Za-z0-9._-]+$/, 'must be a flag key such as catalog-browse-order')
          .describe('The experiment flag, e.g. catalog-browse-order'),
      }),
      output: z
        .object({
          flag: z.string(),
          variants: z.array(
            z.object({
              variant: z.string(),
              users: z.int().describe('Users first exposed to this variant'),
              renters: z.int().describe('Of them, users who started a rental at or after their exposure'),
              conversion: z.number().nullable().describe('renters / users'),
              rentals: z.int().describe('Rentals those users started at or after their exposure'),
              rentalsPerUser: z.number().nullable().describe('rentals / users'),
              completed: z.int().describe('Of those rentals, the completed ones'),
              fees: z.array(money).describe('Fees of the completed ones, per currency'),
            }),
          ),
        })
        .meta({ id: 'ExperimentReport' }),
      errors: ['notAdmin', 'warehouseUnavailable'],
      http: {
        method: 'get',
        path: '/v1/admin/analytics/experiments/{flag}',
        status: 200,
        auth: 'required',
        tag: 'Analytics',
        params: ['flag'],
        description:
          'Reads the warehouse (as fresh as its last ETL run): each user counts in the variant they were first shown; outcomes are the rentals they started afterwards.',
      },
    }),
    // An owner's fees from completed rentals of their own items, per day and per item.
    myEarnings: op({
      kind: 'query',
      timeoutMs: 30_000,
      summary: 'My earnings as an owner',
      input: z.strictObject(period),
      output: z
        .object({
          period: reportPeriod,
          totals: z.array(z.object({ currency: z.string(), rentals: z.int(), earnings: money })),
          byDay: z.array(z.object({ day: z.iso.date(), currency: z.string(), rentals: z.int(), earnings: money })),
          byItem: z.array(
            z.object({
              itemId: z.uuid(),
              title: z.string().nullable(),
              currency: z.string(),
              rentals: z.int(),
              earnings: money,
            }),
          ),
        })
        .meta({ id: 'MyEarnings' }),
      errors: ['invalidPeriod', 'warehouseUnavailable'],
      http: {
        method: 'get',
        path: '/v1/analytics/my-earnings',
        status: 200,
        auth: 'required',
        tag: 'Analytics',
        query: ['from', 'to'],
        description: 'Fees of your completed rentals, from the warehouse (as fresh as its last ETL run).',
      },
    }),
  },
});
