import { eq, isNull } from 'drizzle-orm';
import type { z } from 'zod';
import type { Bus } from '../../../shared/bus/bus.ts';
import { systemContext } from '../../../shared/bus/context.ts';
import { AppError } from '../../../shared/bus/errors.ts';
import type { Db } from '../../../shared/db/database.ts';
import type { Logger } from '../../../shared/observability/logger.ts';
import { identity } from '../../identity/contract.ts';
import { inventory, type itemSchema } from '../../inventory/contract.ts';
import { rentals } from '../../rentals/contract.ts';
import { itemsRebuild, stagingTables } from '../db/schema.ts';
import { anchoredScan } from '../domain/anchored-scan.ts';
import { bookingStateOf } from '../domain/booking-merge.ts';
import type { ItemFact } from '../domain/item-merge.ts';
import type { OwnerFact } from '../domain/owner-merge.ts';
import { applyBookingFact } from '../handlers/booking-store.ts';
import { applyItemFact } from '../handlers/item-store.ts';
import { applyOwnerFact } from '../handlers/owner-store.ts';
import { recordFailure, renewLease, swapIn, type RebuildCounts } from './rebuild-lease.ts';

type Item = z.output<typeof itemSchema>;

/** Items read from inventory per call. */
const PAGE = 100;
/** Bookings read from rentals per call. */
const BOOKINGS_PAGE = 200;
/** Profiles asked of identity at once. */
const OWNER_CONCURRENCY = 4;
/** Per source call: a rebuild outlives any request deadline. */
const SOURCE_TIMEOUT_MS = 30_000;

export interface RebuildRun {
  rebuildId: string;
  startedAt: Date;
  db: Db;
  bus: Bus;
  log: Logger;
  signal: AbortSignal;
}

/**
 * Rebuilds the read model from scratch into staging, reading only the sources' public queries
 * (inventory.listItems page by page for every status, identity.getPublicProfile per owner,
 * rentals.listBookings page by page), then swaps it in at once. Events applied meanwhile reach staging too (see applyEvent), and
 * every write merges by version, so the order of scan and events does not matter.
 */
export async function runRebuild(run: RebuildRun): Promise<RebuildCounts> {
  const { rebuildId, db, bus, log, signal } = run;
  const counts: RebuildCounts = { items: 0, owners: 0, bookings: 0 };
  const source = () => systemContext({ timeoutMs: SOURCE_TIMEOUT_MS });
  try {
    const seen = new Set<string>();
    // Every status but retired first, then retired: retiring is final, so an item retired
    // while the first scan runs is found by the second.
    for (const status of [undefined, 'retired'] as const) {
      const fetchPage = async (offset: number, limit: number) =>
        (
          await bus.call(
            inventory.ops.listItems,
            { limit, offset, sort: 'createdAt', order: 'asc', ...(status ? { status } : {}) },
            source(),
          )
        ).items;
      for await (const page of anchoredScan(fetchPage, PAGE)) {
        signal.throwIfAborted();
        // One transaction per item: it never holds two staged rows that a concurrent owner event also updates.
        for (const item of page) await db.transaction((tx) => applyItemFact(tx, stagingTables, snapshotOf(item)));
        for (const item of page) seen.add(item.id);
        counts.items = seen.size;
        await renewLease(db, rebuildId, 'items', counts);
      }
    }

    // Items that events told of but the scans did not return whole.
    const stubs = await db
      .select({ itemId: itemsRebuild.itemId })
      .from(itemsRebuild)
      .where(isNull(itemsRebuild.listedAt));
    for (const { itemId } of stubs) {
      signal.throwIfAborted();
      const item = await bus.call(inventory.ops.getItem, { id: itemId }, source()).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'inventory.itemNotFound') return undefined;
        throw error;
      });
      await db.transaction(async (tx) => {
        if (item) await applyItemFact(tx, stagingTables, snapshotOf(item));
        else await tx.delete(itemsRebuild).where(eq(itemsRebuild.itemId, itemId));
      });
    }

    const ownerIds = (await db.selectDistinct({ ownerId: itemsRebuild.ownerId }).from(itemsRebuild)).map(
      (r) => r.ownerId,
    );
    await renewLease(db, rebuildId, 'owners', counts);
    await eachConcurrently(ownerIds, OWNER_CONCURRENCY, async (userId) => {
      signal.throwIfAborted();
      const fact = await ownerFactOf(bus, userId, source());
      await db.transaction((tx) => applyOwnerFact(tx, stagingTables, userId, fact));
      counts.owners += 1;
      if (counts.owners % 50 === 0) await renewLease(db, rebuildId, 'owners', counts);
    });

    // Every rental ever confirmed, ended ones too: a kept final state stops a late confirmation from booking again.
    await renewLease(db, rebuildId, 'bookings', counts);
    let after: string | undefined;
    do {
      signal.throwIfAborted();
      const page = await bus.call(
        rentals.ops.listBookings,
        { limit: BOOKINGS_PAGE, ...(after ? { after } : {}) },
        source(),
      );
      const at = new Date();
      await db.transaction(async (tx) => {
        for (const { rentalId, itemId, from, to, status } of page.bookings) {
          await applyBookingFact(tx, stagingTables.bookings, {
            rentalId,
            itemId,
            from,
            to,
            state: bookingStateOf(status),
            at,
          });
        }
      });
      counts.bookings += page.bookings.length;
      after = page.next ?? undefined;
      await renewLease(db, rebuildId, 'bookings', counts);
    } while (after);

    signal.throwIfAborted();
    await renewLease(db, rebuildId, 'swap', counts);
    const swapped = await swapIn(db, rebuildId, run.startedAt);
    log.info({ rebuildId, ...swapped, ms: Date.now() - run.startedAt.getTime() }, 'catalog rebuilt');
    return swapped;
  } catch (error) {
    const reason = signal.aborted ? 'interrupted: the process running the rebuild stopped' : describe(error);
    log.error({ rebuildId, err: error instanceof Error ? error.message : String(error) }, 'catalog rebuild failed');
    await recordFailure(db, rebuildId, run.startedAt, counts, reason).catch((e: unknown) =>
      log.error({ rebuildId, err: (e as Error).message }, 'could not record the failed rebuild'),
    );
    throw error;
  }
}

/** An item as inventory answers it: every field, at its version. */
function snapshotOf(item: Item): ItemFact {
  const { id, ownerId, version, title, description, category, dailyPrice, deposit, condition, status } = item;
  return {
    itemId: id,
    ownerId,
    version,
    occurredAt: new Date(item.updatedAt),
    listedAt: new Date(item.createdAt),
    values: { title, description, category, dailyPrice, deposit, condition, status },
  };
}

/** An owner's name as identity answers it now, or its deletion. */
async function ownerFactOf(bus: Bus, userId: string, ctx: ReturnType<typeof systemContext>): Promise<OwnerFact> {
  const at = new Date();
  try {
    const profile = await bus.call(identity.ops.getPublicProfile, { id: userId }, ctx);
    return { kind: 'named', displayName: profile.displayName, at };
  } catch (error) {
    if (error instanceof AppError && error.code === 'identity.userNotFound') return { kind: 'deleted', at };
    throw error;
  }
}

async function eachConcurrently<T>(
  list: readonly T[],
  concurrency: number,
  work: (entry: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < list.length) await work(list[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
}

/** What an operator may read of a failure: codes and details of declared errors, never internals. */
function describe(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${error.detail}`;
  if (error instanceof Error && error.name === 'RebuildLost')
    return 'another rebuild took over after this one stopped renewing its lease';
  return 'unexpected error (see the logs of the process that ran it)';
}
