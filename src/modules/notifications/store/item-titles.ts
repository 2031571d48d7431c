import { eq, sql } from 'drizzle-orm';
import { systemContext } from '../../../shared/bus/context.ts';
import type { Tx } from '../../../shared/db/database.ts';
import { inventory } from '../../inventory/contract.ts';
import { itemTitles } from '../db/schema.ts';
import type { NotificationsDeps } from '../deps.ts';

/** How long a notification waits for inventory to name an item before saying "your item". */
const LOOKUP_TIMEOUT_MS = 2_000;

/** Records an item's title as of a version; an event older than the stored title changes nothing. */
export async function rememberItemTitle(
  tx: Tx,
  item: { itemId: string; title: string; version: number },
): Promise<void> {
  await tx
    .insert(itemTitles)
    .values(item)
    .onConflictDoUpdate({
      target: itemTitles.itemId,
      set: { title: sql`excluded.title`, version: sql`excluded.version` },
      setWhere: sql`${itemTitles.version} < excluded.version`,
    });
}

/** An item's title as a consumer found it before its transaction; `fresh` when inventory told it (to be remembered). */
export interface FoundTitle {
  title: string;
  fresh?: { itemId: string; version: number };
}

/**
 * An item's title: as its events told it, else as inventory answers now (an item listed before
 * this module listened, or whose creation event is still on its way). Undefined when
 * inventory cannot say: the notification then names no title rather than waiting. Runs before
 * the consumer's transaction: a bus call never holds a transaction open.
 */
export async function findTitle(
  deps: Pick<NotificationsDeps, 'db' | 'bus' | 'log' | 'askInventoryForTitles'>,
  itemId: string,
): Promise<FoundTitle | undefined> {
  const [known] = await deps.db
    .select({ title: itemTitles.title })
    .from(itemTitles)
    .where(eq(itemTitles.itemId, itemId));
  if (known) return { title: known.title };
  if (!deps.askInventoryForTitles) return undefined;
  try {
    const item = await deps.bus.call(
      inventory.ops.getItem,
      { id: itemId },
      systemContext({ timeoutMs: LOOKUP_TIMEOUT_MS }),
    );
    return { title: item.title, fresh: { itemId, version: item.version } };
  } catch (error) {
    deps.log.warn({ itemId, err: (error as Error).message }, 'item title unavailable; notifying without it');
    return undefined;
  }
}

/** The title found before the transaction, remembered in it when inventory told it. */
export async function useTitle(tx: Tx, found: FoundTitle | undefined): Promise<string | undefined> {
  if (found?.fresh) await rememberItemTitle(tx, { ...found.fresh, title: found.title });
  return found?.title;
}
