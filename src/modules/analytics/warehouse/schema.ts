/** Column types both engines understand; timestamps are UTC without a zone. */
export type ColumnType = 'VARCHAR' | 'BIGINT' | 'INTEGER' | 'TIMESTAMP' | 'DATE' | 'BOOLEAN';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable?: boolean;
}

export interface TableSpec {
  name: string;
  /** Natural key: loads merge on it. */
  key: readonly string[];
  columns: readonly ColumnSpec[];
  /** Date column its Parquet files are partitioned by. */
  partitionBy?: string;
  /** Bookkeeping, not exported. */
  internal?: boolean;
}

const col = (name: string, type: ColumnType, nullable = false): ColumnSpec => ({ name, type, nullable });

/** The star schema: dimensions (date, user, item as SCD type 2) and facts (rentals, ledger, item events, experiment exposures). */
export const warehouseTables: readonly TableSpec[] = [
  {
    name: 'dim_date',
    key: ['date_key'],
    columns: [
      col('date_key', 'INTEGER'),
      col('full_date', 'DATE'),
      col('year', 'INTEGER'),
      col('quarter', 'INTEGER'),
      col('month', 'INTEGER'),
      col('day', 'INTEGER'),
      col('iso_day_of_week', 'INTEGER'),
    ],
  },
  {
    name: 'dim_user',
    key: ['user_id'],
    columns: [
      col('user_id', 'VARCHAR'),
      col('role', 'VARCHAR'),
      col('registered_at', 'TIMESTAMP'),
      col('registered_date_key', 'INTEGER'),
    ],
  },
  {
    name: 'dim_item',
    key: ['item_key'],
    columns: [
      col('item_key', 'VARCHAR'),
      col('item_id', 'VARCHAR'),
      col('owner_id', 'VARCHAR'),
      col('title', 'VARCHAR'),
      col('category', 'VARCHAR'),
      col('currency', 'VARCHAR'),
      col('daily_price', 'BIGINT'),
      col('deposit', 'BIGINT'),
      col('valid_from', 'TIMESTAMP'),
      col('valid_to', 'TIMESTAMP', true),
      col('is_current', 'BOOLEAN'),
      col('listed_at', 'TIMESTAMP'),
      col('retired_at', 'TIMESTAMP', true),
    ],
  },
  {
    name: 'fact_rental',
    key: ['rental_id'],
    partitionBy: 'created_date',
    columns: [
      col('rental_id', 'VARCHAR'),
      col('item_id', 'VARCHAR'),
      col('item_key', 'VARCHAR', true),
      col('owner_id', 'VARCHAR'),
      col('renter_id', 'VARCHAR'),
      col('status', 'VARCHAR'),
      col('period_from', 'TIMESTAMP'),
      col('period_to', 'TIMESTAMP'),
      col('days', 'INTEGER'),
      col('currency', 'VARCHAR'),
      col('daily_price', 'BIGINT'),
      col('fee', 'BIGINT'),
      col('deposit', 'BIGINT'),
      col('created_at', 'TIMESTAMP'),
      col('confirmed_at', 'TIMESTAMP', true),
      col('cancelled_at', 'TIMESTAMP', true),
      col('completed_at', 'TIMESTAMP', true),
      col('created_date', 'DATE'),
      col('created_date_key', 'INTEGER'),
      col('completed_date_key', 'INTEGER', true),
    ],
  },
  {
    name: 'fact_ledger',
    key: ['entry_id'],
    partitionBy: 'created_date',
    columns: [
      col('entry_id', 'BIGINT'),
      col('transaction_id', 'VARCHAR'),
      col('kind', 'VARCHAR'),
      col('account_id', 'VARCHAR'),
      col('account_kind', 'VARCHAR'),
      col('account_owner_id', 'VARCHAR', true),
      col('currency', 'VARCHAR'),
      col('amount', 'BIGINT'),
      col('authorization_id', 'VARCHAR', true),
      col('reference', 'VARCHAR', true),
      col('created_at', 'TIMESTAMP'),
      col('created_date', 'DATE'),
      col('date_key', 'INTEGER'),
    ],
  },
  {
    name: 'fact_item_event',
    key: ['event_id'],
    partitionBy: 'occurred_date',
    columns: [
      col('event_id', 'BIGINT'),
      col('item_id', 'VARCHAR'),
      col('version', 'INTEGER'),
      col('event_type', 'VARCHAR'),
      col('actor_id', 'VARCHAR', true),
      col('owner_id', 'VARCHAR', true),
      col('title', 'VARCHAR', true),
      col('category', 'VARCHAR', true),
      col('currency', 'VARCHAR', true),
      col('daily_price', 'BIGINT', true),
      col('deposit', 'BIGINT', true),
      col('status_from', 'VARCHAR', true),
      col('status_to', 'VARCHAR', true),
      col('occurred_at', 'TIMESTAMP'),
      col('occurred_date', 'DATE'),
      col('date_key', 'INTEGER'),
    ],
  },
  // The variant of an experiment's flag each user was first shown (catalog's exposures: one per user and flag).
  {
    name: 'fact_experiment_exposure',
    key: ['exposure_id'],
    partitionBy: 'exposed_date',
    columns: [
      col('exposure_id', 'VARCHAR'),
      col('user_id', 'VARCHAR'),
      col('flag', 'VARCHAR'),
      col('variant', 'VARCHAR'),
      col('exposed_at', 'TIMESTAMP'),
      col('exposed_date', 'DATE'),
      col('date_key', 'INTEGER'),
    ],
  },
  // Each source's watermark: the safe point (a transaction id) its last committed load read up to.
  {
    name: 'etl_state',
    key: ['source'],
    internal: true,
    columns: [col('source', 'VARCHAR'), col('watermark', 'VARCHAR')],
  },
  // Items whose dimension rows a run rewrote: their rentals get their item version again.
  { name: 'etl_touched_items', key: ['item_id'], internal: true, columns: [col('item_id', 'VARCHAR')] },
];

export const tableSpec = (name: string): TableSpec => warehouseTables.find((t) => t.name === name)!;

/** The tables a Parquet export writes. */
export const exportedTables = warehouseTables
  .filter((t) => !t.internal)
  .map((t) => ({ name: t.name, ...(t.partitionBy ? { partitionBy: t.partitionBy } : {}) }));

/** CREATE TABLE (the same on both engines), with a primary key on the natural key: a doubled row cannot exist. */
export function tableDdl(table: TableSpec): string {
  const columns = table.columns.map((c) => `${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}`);
  return `CREATE TABLE IF NOT EXISTS ${table.name} (${[...columns, `PRIMARY KEY (${table.key.join(', ')})`].join(', ')})`;
}

/** Secondary indexes for PostgreSQL reports (DuckDB scans). */
export const postgresIndexes = [
  'CREATE INDEX IF NOT EXISTS fact_rental_completed_idx ON fact_rental (completed_at)',
  'CREATE INDEX IF NOT EXISTS fact_rental_created_idx ON fact_rental (created_at)',
  'CREATE INDEX IF NOT EXISTS fact_rental_item_idx ON fact_rental (item_id)',
  'CREATE INDEX IF NOT EXISTS fact_rental_owner_idx ON fact_rental (owner_id, completed_at)',
  'CREATE INDEX IF NOT EXISTS dim_item_item_idx ON dim_item (item_id, valid_from)',
  'CREATE INDEX IF NOT EXISTS fact_item_event_item_idx ON fact_item_event (item_id, version)',
  'CREATE INDEX IF NOT EXISTS fact_rental_renter_idx ON fact_rental (renter_id, created_at)',
];
