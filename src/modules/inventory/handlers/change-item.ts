import { and, eq, sql } from 'drizzle-orm';
import type { CallContext } from '../../../shared/bus/context.ts';
import { inventory } from '../contract.ts';
import { items } from '../db/schema.ts';
import type { InventoryDeps } from '../deps.ts';
import type { ItemChange } from '../domain/history.ts';
import { findItem } from './find-item.ts';
import { rememberItem } from './item-cache.ts';
import type { ItemRow } from './item-view.ts';
import { recordChange } from './record-change.ts';

/** What to do to an item, decided from its current row: the columns to write and the change to record. */
export type ItemDecision =
  | { kind: 'write'; columns: Partial<typeof items.$inferInsert>; change: ItemChange }
  | { kind: 'unchanged' };

/** Lost races retried when the caller named no version (each retry re-reads and re-decides). */
const MAX_ATTEMPTS = 5;

/**
 * Optimistic concurrency: decides a change from the current row, then writes it with
 * UPDATE … WHERE id = $1 AND version = $2, bumping the version, so a concurrent change
 * makes the write miss instead of being overwritten. The write, its history row and its
 * event commit in one transaction. A decision of "unchanged" (the change is already in
 * effect) succeeds without a write, a version check, history or an event. With an expected
 * version a stale one or a lost race is versionMismatch; without, a lost race is retried.
 */
export async function changeItem(
  ctx: CallContext & { deps: InventoryDeps },
  id: string,
  expectedVersion: number | undefined,
  decide: (row: ItemRow) => ItemDecision,
): Promise<ItemRow> {
  const { deps } = ctx;
  for (let attempt = 1; ; attempt++) {
    const row = await findItem(deps.db, id);
    const decision = decide(row);
    if (decision.kind === 'unchanged') return row;
    if (expectedVersion !== undefined && expectedVersion !== row.version) throw stale(id, expectedVersion, row.version);
    const written = await deps.db.transaction(async (tx) => {
      const [after] = await tx
        .update(items)
        .set({ ...decision.columns, version: sql`${items.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(items.id, id), eq(items.version, row.version)))
        .returning();
      if (after) await recordChange(tx, deps, ctx, after, decision.change);
      return after;
    });
    if (written) {
      await rememberItem(deps, written);
      return written;
    }
    if (expectedVersion !== undefined || attempt >= MAX_ATTEMPTS) {
      throw inventory.error(
        'versionMismatch',
        `Item ${id} changed while this request was applied; read it again and retry.`,
      );
    }
  }
}

function stale(id: string, expected: number, actual: number) {
  return inventory.error(
    'versionMismatch',
    `Item ${id} is at version ${actual}, not ${expected}; read it again and retry.`,
  );
}
