import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { deadLetterHandlers } from '../../shared/events/dead-letters.ts';
import { on } from '../../shared/events/subscription.ts';
import { defineModule } from '../../shared/modules/define-module.ts';
import { identity } from '../identity/contract.ts';
import { inventory } from '../inventory/contract.ts';
import { rentals } from '../rentals/contract.ts';
import { notifications } from './contract.ts';
import { notificationsEvents } from './db/schema.ts';
import type { NotificationsDeps } from './deps.ts';
import { moveKind } from './domain/templates.ts';
import { forgetUser } from './handlers/forget-user.ts';
import { findTitle, type FoundTitle } from './store/item-titles.ts';
import { listNotifications } from './handlers/list-notifications.ts';
import { markNotificationRead } from './handlers/mark-notification-read.ts';
import { notifyItemListed } from './handlers/notify-item-listed.ts';
import { notifyItemStatus } from './handlers/notify-item-status.ts';
import { notifyRental } from './handlers/notify-rental.ts';
import { trackItemTitle } from './handlers/track-item-title.ts';
import { welcomeUser } from './handlers/welcome-user.ts';
import { CommitRelay } from './live/commit-relay.ts';
import { liveFeed } from './live/live-feed.ts';

/** Each member's inbox of notifications, written in reaction to other modules' events. */
export const notificationsModule = defineModule<typeof notifications, NotificationsDeps>({
  contract: notifications,
  migrations: fileURLToPath(new URL('../../../migrations/notifications', import.meta.url)),
  async setup(platform) {
    const database = await platform.database('notifications');
    const live = liveFeed(platform.redis, platform.log);
    const origin = randomUUID();
    return {
      db: database.db,
      bus: platform.bus,
      askInventoryForTitles: database.driver !== 'pglite',
      origin,
      committed: new CommitRelay({ database, db: database.db, origin, live, log: platform.log }),
      log: platform.log,
      deadLetters: {
        db: database.db,
        table: notificationsEvents.deadLetters,
        replay: platform.events.replay.bind(platform.events),
        module: 'notifications',
      },
    };
  },
  events: notificationsEvents,
  // Consumer names are durable (inbox rows, dead letters, stream groups): never rename one.
  subscriptions: (deps) => [
    on(identity.events.userRegistered, 'welcomeUser', (message, tx) => welcomeUser(message, tx, deps)),
    on(identity.events.userDeleted, 'forgetUser', (message, tx) => forgetUser(message, tx)),
    on(inventory.events.itemCreated, 'notifyItemListed', (message, tx) => notifyItemListed(message, tx, deps)),
    on(inventory.events.itemUpdated, 'trackItemTitle', (message, tx) => trackItemTitle(message, tx)),
    on(
      inventory.events.itemStatusChanged,
      'notifyItemStatus',
      (message, tx, title: FoundTitle | undefined) => notifyItemStatus(message, tx, deps, title),
      (message) => (moveKind(message.payload) ? findTitle(deps, message.payload.itemId) : Promise.resolve(undefined)),
    ),
    ...(['rentalConfirmed', 'rentalCompleted', 'rentalCancelled'] as const).map((kind) =>
      on(
        rentals.events[kind],
        `notify${kind[0]!.toUpperCase()}${kind.slice(1)}`,
        (message, tx, title: FoundTitle | undefined) => notifyRental(message, tx, deps, kind, title),
        (message) => findTitle(deps, message.payload.itemId),
      ),
    ),
  ],
  handlers: { listNotifications, markNotificationRead, ...deadLetterHandlers },
  async start(deps) {
    await deps.committed.start();
  },
  async stop(deps) {
    await deps.committed.stop();
  },
});
