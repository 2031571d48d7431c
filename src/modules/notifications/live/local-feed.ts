import { EventEmitter } from 'node:events';
import type { FeedListener, LiveFeed, Notification } from './live-feed.ts';

/**
 * The feed of a process without Redis (the monolith alone): writer and streams share this
 * emitter, one event name per user.
 */
class LocalFeed implements LiveFeed {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(notification: Notification): Promise<void> {
    this.emitter.emit(notification.userId, notification);
  }

  async subscribe(userId: string, listener: FeedListener): Promise<() => Promise<void>> {
    this.emitter.on(userId, listener);
    return async () => {
      this.emitter.off(userId, listener);
    };
  }
}

export const localFeed: LiveFeed = new LocalFeed();
