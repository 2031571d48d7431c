import type { RedisClient } from '../cache/redis-client.ts';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { platformErrors } from '../bus/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { bindSubscription } from './bind-subscription.ts';
import type { EventMessage } from './envelope.ts';
import { InProcessTransport } from './in-process-transport.ts';
import { RedisStreamsTransport } from './redis-streams-transport.ts';
import { OutboxRelay } from './relay.ts';
import type { BoundSubscription, SubscriptionSpec } from './subscription.ts';
import type { EventTables } from './tables.ts';
import type { EventTransport } from './transport.ts';

/** Which transport carries events in this process; 'none' hosts no relay and no consumer. */
export type EventMode = 'in-process' | 'redis-streams' | 'none';

/**
 * The event side of a process: an outbox relay per hosted module and a consumer per
 * subscription, over one transport.
 */
export class EventHost {
  private readonly relays: OutboxRelay[] = [];
  private readonly subscriptions = new Map<string, BoundSubscription>();
  private readonly transport: EventTransport | undefined;

  constructor(private readonly options: { mode: EventMode; config: Config; redis: RedisClient | undefined; consumerName: string; log: Logger; metrics: Metrics }) {
    const { mode, config, log } = options;
    const policy = { maxAttempts: config.EVENT_MAX_ATTEMPTS, retryDelayMs: config.EVENT_RETRY_DELAY_MS };
    const concurrency = config.EVENT_CONCURRENCY;
    if (mode === 'in-process') this.transport = new InProcessTransport({ policy, concurrency, log });
    if (mode === 'redis-streams') {
      if (!options.redis) throw new Error('Invalid configuration: REDIS_URL (or REDIS_SENTINELS / REDIS_CLUSTER_NODES) is required for Redis Streams events (split mode)');
      this.transport = new RedisStreamsTransport({ redis: options.redis, consumerName: options.consumerName, policy, concurrency, maxLength: config.EVENT_STREAM_MAXLEN, minReplicas: config.EVENT_STREAM_MIN_REPLICAS, log });
    }
  }

  /** Registers a module's outbox and subscriptions. */
  addModule(module: string, tables: EventTables | undefined, subscriptions: SubscriptionSpec[], database: Database): void {
    const { log, metrics, config } = this.options;
    if (tables && this.transport) {
      this.relays.push(new OutboxRelay({ module, database, outbox: tables.outbox, transport: this.transport, log, metrics, pollMs: config.OUTBOX_POLL_MS }));
    }
    if (subscriptions.length > 0 && !tables) throw new Error(`${module} subscribes to events but declares no event tables`);
    for (const spec of subscriptions) {
      const bound = bindSubscription({ module, spec, db: database.db, inbox: tables!.inbox, deadLetters: tables!.deadLetters, log, metrics });
      this.subscriptions.set(bound.consumer, bound);
    }
  }

  /** Starts consuming and relaying. */
  async start(): Promise<void> {
    if (!this.transport) return;
    for (const subscription of this.subscriptions.values()) await this.transport.subscribe(subscription);
    for (const relay of this.relays) await relay.start();
  }

  /** Applies a message through a consumer hosted here (dead-letter replay). */
  replay(consumer: string, message: EventMessage): Promise<'applied' | 'duplicate'> {
    const subscription = this.subscriptions.get(consumer);
    if (!subscription) return Promise.reject(platformErrors.notFound(`No consumer ${consumer} in this process.`));
    return subscription.apply(message);
  }

  /** Wakes every relay at once (tests, benchmarks). */
  async drain(): Promise<void> {
    await Promise.all(this.relays.map((r) => r.drain()));
  }

  async stop(): Promise<void> {
    for (const relay of this.relays) await relay.stop();
    await this.transport?.stop();
  }
}
