import { fileURLToPath } from 'node:url';
import { createPublisher } from '../../shared/events/publish.ts';
import { defineModule } from '../../shared/modules/define-module.ts';
import { inventory } from './contract.ts';
import { inventoryEvents } from './db/schema.ts';
import type { InventoryDeps } from './deps.ts';
import { browseItems } from './handlers/browse-items.ts';
import { createItem } from './handlers/create-item.ts';
import { getItem } from './handlers/get-item.ts';
import { getItemHistory } from './handlers/get-item-history.ts';
import { listItems } from './handlers/list-items.ts';
import { relistItem } from './handlers/relist-item.ts';
import { retireItem } from './handlers/retire-item.ts';
import { unlistItem } from './handlers/unlist-item.ts';
import { updateItem } from './handlers/update-item.ts';
import { exportItemHistory } from './handlers/export-item-history.ts';
import { inventorySubscriptions } from './subscriptions.ts';

/** Items people lend or rent out, and their listing status. */
export const inventoryModule = defineModule<typeof inventory, InventoryDeps>({
  contract: inventory,
  migrations: fileURLToPath(new URL('../../../migrations/inventory', import.meta.url)),
  async setup(platform) {
    const { db, reads } = await platform.database('inventory');
    return { db, reads, cache: platform.cache, publish: createPublisher(inventoryEvents.outbox, 'inventory') };
  },
  events: inventoryEvents,
  subscriptions: (deps) => inventorySubscriptions(deps),
  handlers: {
    listItems,
    browseItems,
    getItem,
    getItemHistory,
    createItem,
    updateItem,
    unlistItem,
    relistItem,
    retireItem,
    exportItemHistory,
  },
});
