import type { Bus } from '../../../shared/bus/bus.ts';
import { systemContext } from '../../../shared/bus/context.ts';
import type { Db } from '../../../shared/db/database.ts';
import type { Logger } from '../../../shared/observability/logger.ts';
import type { TableCounts } from '../db/schema.ts';
import { createTables, dropTables } from '../warehouse/open-warehouse.ts';
import type { Warehouse, WarehouseSession } from '../warehouse/port.ts';
import { tableSpec } from '../warehouse/schema.ts';
import { mergeRows } from '../warehouse/statements.ts';
import { finishLoad } from './finish-load.ts';
import { renewRun, type RunRow } from '../store/run-store.ts';
import { sources, type RunScratch } from './sources.ts';

/** Per-call deadline of one export page across a hop. */
const PAGE_TIMEOUT_MS = 60_000;

export interface EtlOptions {
  run: Pick<RunRow, 'id' | 'mode'>;
  warehouse: Warehouse;
  bus: Bus;
  /** The module database holding the run record (progress and lease). */
  db: Db;
  log: Logger;
  pageSize: number;
  leaseMs: number;
  /** Test hook: SIGKILL this process after loading this many pages. */
  killAfterPages?: number | undefined;
}

/**
 * One ETL run, in one warehouse transaction: for each source, the pages its module exports
 * between the watermark of the last committed run and the source's safe point now, merged on
 * natural keys; then the dimensions' end of load and the new watermarks. A run that dies
 * commits nothing, so the next one reads the same window again; merging makes that harmless.
 */
export async function runEtl(options: EtlOptions): Promise<Record<string, TableCounts>> {
  const { run, warehouse, bus, db, log } = options;
  const tables: Record<string, TableCounts> = {};
  let pages = 0;
  await warehouse.transaction(async (tx) => {
    if (run.mode === 'rebuild') {
      await dropTables(tx);
      await createTables(warehouse, tx);
    }
    const watermarks = run.mode === 'incremental' ? await readWatermarks(tx) : new Map<string, string>();
    const scratch: RunScratch = { dateKeys: new Set(), itemsWithEvents: new Set(), touchedItems: new Set() };
    for (const source of sources) {
      const counts: TableCounts = { extracted: 0, loaded: 0, since: watermarks.get(source.name) ?? '0', until: null };
      tables[source.name] = counts;
      let after: string | undefined;
      for (;;) {
        const page = await bus.call(
          source.op,
          {
            since: counts.since,
            limit: options.pageSize,
            ...(counts.until ? { until: counts.until } : {}),
            ...(after ? { after } : {}),
          },
          systemContext({ timeoutMs: PAGE_TIMEOUT_MS }),
        );
        counts.until = page.until;
        counts.extracted += page.rows.length;
        counts.loaded += await mergeRows(
          tx,
          tableSpec(source.table),
          (page.rows as never[]).map((row) => source.toRow(row, scratch)),
        );
        await renewRun(db, run.id, tables, options.leaseMs);
        if (options.killAfterPages && ++pages >= options.killAfterPages) process.kill(process.pid, 'SIGKILL');
        if (!page.next) break;
        after = page.next;
      }
      log.debug({ runId: run.id, source: source.name, ...counts }, 'warehouse source loaded');
    }
    tables.item_history!.loaded += await finishLoad(tx, scratch);
    await mergeRows(
      tx,
      tableSpec('etl_state'),
      Object.entries(tables).map(([source, c]) => ({ source, watermark: c.until })),
    );
    // Last look at the lease before committing: a run that lost it commits nothing.
    await renewRun(db, run.id, tables, options.leaseMs);
  });
  return tables;
}

async function readWatermarks(tx: WarehouseSession): Promise<Map<string, string>> {
  const rows = await tx.all('SELECT source, watermark FROM etl_state');
  return new Map(rows.map((r) => [String(r.source), String(r.watermark)]));
}
