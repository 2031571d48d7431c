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

/**
 * An item's title: as its events told it, else as inventory answers now (an item listed before
 * this module listened, or whose creation event is still on its way). Undefined when
 * inventory cannot say: the notification then names no title rather than waiting.
 */
export async function titleOf(
  tx: Tx,
  deps: Pick<NotificationsDeps, 'bus' | 'log' | 'askInventoryForTitles'>,
  itemId: string,
): Promise<string | undefined> {
  const [known] = await tx.select({ title: itemTitles.title }).from(itemTitles).where(eq(itemTitles.itemId, itemId));
  if (known) return known.title;
  if (!deps.askInventoryForTitles) return undefined;
  try {
    const item = await deps.bus.call(
      inventory.ops.getItem,
      { id: itemId },
      systemContext({ timeoutMs: LOOKUP_TIMEOUT_MS }),
    );
    await rememberItemTitle(tx, { itemId, title: item.title, version: item.version });
    return item.title;
  } catch (error) {
    deps.log.warn({ itemId, err: (error as Error).message }, 'item title unavailable; notifying without it');
    return undefined;
  }
}
