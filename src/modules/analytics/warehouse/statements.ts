import type { ColumnSpec, TableSpec } from './schema.ts';
import type { WarehouseSession, WarehouseValue } from './port.ts';

/** Rows per INSERT: within both engines' parameter limits. */
const CHUNK_PARAMS = 8_000;

/** A multi-row INSERT whose every parameter is cast to its column's type (the same SQL on both engines). */
export function insertStatement(
  table: string,
  columns: readonly ColumnSpec[],
  rows: readonly (readonly WarehouseValue[])[],
): { text: string; values: WarehouseValue[] } {
  const values: WarehouseValue[] = [];
  const tuples = rows.map((row) => {
    const cells = columns.map((column, i) => {
      values.push(row[i] ?? null);
      return `CAST($${values.length} AS ${column.type})`;
    });
    return `(${cells.join(', ')})`;
  });
  return {
    text: `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) VALUES ${tuples.join(', ')}`,
    values,
  };
}

/**
 * Merges rows on the table's natural key: deletes the keys, then inserts the rows, in the
 * caller's transaction. Loading the same rows twice leaves the table as once. Rows are
 * objects keyed by column name; the key must be unique among them.
 */
export async function mergeRows(
  db: WarehouseSession,
  table: TableSpec,
  rows: readonly Record<string, WarehouseValue>[],
): Promise<number> {
  if (rows.length === 0) return 0;
  if (db.stage) {
    const stage = await db.stage(
      table,
      rows.map((row) => table.columns.map((c) => row[c.name] ?? null)),
    );
    const key = table.key[0]!;
    const keyType = table.columns.find((c) => c.name === key)!.type;
    await db.run(`DELETE FROM ${table.name} WHERE ${key} IN (SELECT CAST(${key} AS ${keyType}) FROM ${stage})`);
    await db.run(
      `INSERT INTO ${table.name} SELECT ${table.columns.map((c) => `CAST(${c.name} AS ${c.type})`).join(', ')} FROM ${stage}`,
    );
    return rows.length;
  }
  const perChunk = Math.max(1, Math.floor(CHUNK_PARAMS / table.columns.length));
  for (let start = 0; start < rows.length; start += perChunk) {
    const chunk = rows.slice(start, start + perChunk);
    await deleteKeys(db, table, chunk);
    const { text, values } = insertStatement(
      table.name,
      table.columns,
      chunk.map((row) => table.columns.map((c) => row[c.name] ?? null)),
    );
    await db.run(text, values);
  }
  return rows.length;
}

async function deleteKeys(
  db: WarehouseSession,
  table: TableSpec,
  rows: readonly Record<string, WarehouseValue>[],
): Promise<void> {
  const [key, ...rest] = table.key;
  if (rest.length > 0) throw new Error(`${table.name}: merge supports single-column keys`);
  const column = table.columns.find((c) => c.name === key)!;
  const values = rows.map((row) => row[key!] ?? null);
  await db.run(
    `DELETE FROM ${table.name} WHERE ${key} IN (${values.map((_, i) => `CAST($${i + 1} AS ${column.type})`).join(', ')})`,
    values,
  );
}

/** Deletes every row whose column is one of values (chunked). */
export async function deleteWhereIn(
  db: WarehouseSession,
  table: string,
  column: string,
  type: string,
  values: readonly WarehouseValue[],
): Promise<void> {
  for (let start = 0; start < values.length; start += CHUNK_PARAMS) {
    const chunk = values.slice(start, start + CHUNK_PARAMS);
    await db.run(
      `DELETE FROM ${table} WHERE ${column} IN (${chunk.map((_, i) => `CAST($${i + 1} AS ${type})`).join(', ')})`,
      chunk,
    );
  }
}
