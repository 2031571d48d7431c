import { fileURLToPath } from 'node:url';
import { deadLetterHandlers } from '../../shared/events/dead-letters.ts';
import { on } from '../../shared/events/subscription.ts';
import { defineModule } from '../../shared/modules/define-module.ts';
import { identity } from '../identity/contract.ts';
import { inventory } from '../inventory/contract.ts';
import { rentals } from '../rentals/contract.ts';
import { catalog } from './contract.ts';
import { catalogEvents } from './db/schema.ts';
import type { CatalogDeps } from './deps.ts';
import { forgetOwner } from './handlers/forget-owner.ts';
import { getRebuildStatus } from './handlers/get-rebuild-status.ts';
import { projectItemCreated } from './handlers/project-item-created.ts';
import { projectItemStatus } from './handlers/project-item-status.ts';
import { projectItemUpdated } from './handlers/project-item-updated.ts';
import { projectOwnerName } from './handlers/project-owner-name.ts';
import { rebuild } from './handlers/rebuild.ts';
import { recordBooking } from './handlers/record-booking.ts';
import { exportExposures } from './handlers/export-exposures.ts';
import { searchItems } from './handlers/search-items.ts';
import { registerLagGauge } from './lag-gauge.ts';
import { backgroundRebuilds } from './rebuild/background-rebuilds.ts';
import { exposureRecorder } from './store/exposure-store.ts';

/** How long a search page is cached; any applied event retires it sooner. */
const SEARCH_CACHE_TTL_SECONDS = 30;

/** The query side: a searchable read model of items and their bookings, fed only by other modules' events. */
export const catalogModule = defineModule<typeof catalog, CatalogDeps>({
  contract: catalog,
  migrations: fileURLToPath(new URL('../../../migrations/catalog', import.meta.url)),
  async setup(platform) {
    const { db, reads } = await platform.database('catalog');
    registerLagGauge(platform.metrics.registry, () => platform.events.pendingAge('catalog'));
    return {
      db,
      reads,
      cache: platform.cache,
      searchCacheTtlSeconds: SEARCH_CACHE_TTL_SECONDS,
      rebuilds: backgroundRebuilds(),
      recordExposure: exposureRecorder(db),
      log: platform.log,
      deadLetters: {
        db,
        table: catalogEvents.deadLetters,
        replay: platform.events.replay.bind(platform.events),
        module: 'catalog',
      },
    };
  },
  events: catalogEvents,
  // Consumer names are durable (inbox rows, dead letters, stream groups): never rename one.
  subscriptions: () => [
    on(inventory.events.itemCreated, 'projectItemCreated', projectItemCreated),
    on(inventory.events.itemUpdated, 'projectItemUpdated', projectItemUpdated),
    on(inventory.events.itemStatusChanged, 'projectItemStatus', projectItemStatus),
    on(identity.events.userRegistered, 'projectOwnerRegistered', projectOwnerName),
    on(identity.events.userProfileChanged, 'projectOwnerRenamed', projectOwnerName),
    on(identity.events.userDeleted, 'forgetOwner', forgetOwner),
    on(rentals.events.rentalConfirmed, 'bookRental', (message, tx) => recordBooking(message, tx, 'confirmed')),
    on(rentals.events.rentalCompleted, 'endBooking', (message, tx) => recordBooking(message, tx, 'completed')),
    on(rentals.events.rentalCancelled, 'cancelBooking', (message, tx) => recordBooking(message, tx, 'cancelled')),
  ],
  handlers: { searchItems, rebuild, getRebuildStatus, exportExposures, ...deadLetterHandlers },
  async stop(deps) {
    await deps.rebuilds.stop();
  },
});
