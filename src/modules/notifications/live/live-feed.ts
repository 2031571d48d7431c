import type { RedisClient } from '../../../shared/cache/redis-client.ts';
import type { z } from 'zod';
import type { Logger } from '../../../shared/observability/logger.ts';
import type { notificationSchema } from '../contract.ts';
import { localFeed } from './local-feed.ts';
import { RedisFeed } from './redis-feed.ts';

export type Notification = z.output<typeof notificationSchema>;

/** Receives one user's notifications as they are written. */
export type FeedListener = (notification: Notification) => void;

/**
 * Pushes committed notifications to whoever streams their user's inbox, wherever that
 * stream is served. Best effort: a client that was not listening catches up with the list.
 */
export interface LiveFeed {
  publish(notification: Notification): Promise<void>;
  /** Listens to one user's new notifications; resolves once listening, to the function that stops. */
  subscribe(userId: string, listener: FeedListener): Promise<() => Promise<void>>;
}

/** Redis pub/sub when Redis is configured (streams may be served by another process), else this process only. */
export function liveFeed(redis: RedisClient | undefined, log: Logger): LiveFeed {
  return redis ? new RedisFeed(redis, log) : localFeed;
}
