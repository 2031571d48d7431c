import { duplicateClient, type RedisClient } from '../../../shared/cache/redis-client.ts';
import type { Logger } from '../../../shared/observability/logger.ts';
import type { FeedListener, LiveFeed, Notification } from './live-feed.ts';

/**
 * The feed across processes: one Redis pub/sub channel per user, in the deployment's key
 * namespace (ioredis prefixes keys, not channels). A process subscribes to a user's channel
 * while at least one of that user's streams is open here, on one connection of its own.
 */
export class RedisFeed implements LiveFeed {
  private readonly prefix: string;
  private readonly listeners = new Map<string, Set<FeedListener>>();
  private subscriber: RedisClient | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly log: Logger,
  ) {
    this.prefix = `${redis.options.keyPrefix ?? ''}notifications:live:`;
  }

  async publish(notification: Notification): Promise<void> {
    await this.redis.publish(this.prefix + notification.userId, JSON.stringify(notification));
  }

  async subscribe(userId: string, listener: FeedListener): Promise<() => Promise<void>> {
    const channel = this.prefix + userId;
    const subscriber = this.connection();
    let listeners = this.listeners.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.listeners.set(channel, listeners);
    }
    listeners.add(listener);
    // Commands on one connection run in order, so this SUBSCRIBE follows any UNSUBSCRIBE sent before.
    try {
      await subscriber.subscribe(channel);
    } catch (error) {
      this.remove(channel, listener);
      throw error;
    }
    return async () => this.remove(channel, listener);
  }

  private remove(channel: string, listener: FeedListener): void {
    const listeners = this.listeners.get(channel);
    if (!listeners?.delete(listener) || listeners.size > 0) return;
    this.listeners.delete(channel);
    this.subscriber
      ?.unsubscribe(channel)
      .catch((error: Error) => this.log.warn({ err: error.message }, 'live feed unsubscribe failed'));
  }

  private connection(): RedisClient {
    if (this.subscriber) return this.subscriber;
    const subscriber = duplicateClient(this.redis);
    subscriber.on('error', (error) => this.log.warn({ err: error.message }, 'live feed connection error'));
    subscriber.on('message', (channel: string, message: string) => {
      const listeners = this.listeners.get(channel);
      if (!listeners) return;
      let notification: Notification;
      try {
        notification = JSON.parse(message) as Notification;
      } catch {
        return;
      }
      for (const listener of listeners) listener(notification);
    });
    // Closed with the platform's connection.
    this.redis.once('end', () => subscriber.disconnect());
    this.subscriber = subscriber;
    return subscriber;
  }
}
