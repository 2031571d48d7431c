import type { RedisClient } from '../cache/redis-client.ts';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { platformErrors } from '../bus/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { bindSubscription } from './bind-subscription.ts';
import type { EventMessage } from './envelope.ts';
import { InProcessTransport } from './in-process-transport.ts';
import { RedisStreamsTransport, type ConsumerBacklog } from './redis-streams-transport.ts';
import { OutboxRelay } from './relay.ts';
import type { BoundSubscription, SubscriptionSpec } from './subscription.ts';
import { countDeadLetters } from './dead-letter-count.ts';
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
  private readonly deadLetterCounts: (() => Promise<{ consumer: string; count: number }[]>)[] = [];
  private readonly unregister: (() => void)[] = [];
  /** One backlog reading serves every gauge of a scrape. */
  private reading: { at: number; value: Promise<BacklogReading> } | undefined;

  constructor(
    private readonly options: {
      mode: EventMode;
      config: Config;
      redis: RedisClient | undefined;
      consumerName: string;
      log: Logger;
      metrics: Metrics;
    },
  ) {
    const { mode, config, log } = options;
    const policy = { maxAttempts: config.EVENT_MAX_ATTEMPTS, retryDelayMs: config.EVENT_RETRY_DELAY_MS };
    const concurrency = config.EVENT_CONCURRENCY;
    if (mode === 'in-process') this.transport = new InProcessTransport({ policy, concurrency, log });
    if (mode === 'redis-streams') {
      if (!options.redis)
        throw new Error(
          'Invalid configuration: REDIS_URL (or REDIS_SENTINELS / REDIS_CLUSTER_NODES) is required for Redis Streams events (split mode)',
        );
      this.streams = new RedisStreamsTransport({
        redis: options.redis,
        consumerName: options.consumerName,
        policy,
        concurrency,
        maxLength: config.EVENT_STREAM_MAXLEN,
        minReplicas: config.EVENT_STREAM_MIN_REPLICAS,
        log,
      });
      this.transport = this.streams;
    }
  }

  private readonly streams: RedisStreamsTransport | undefined;

  /** Registers a module's outbox and subscriptions. */
  addModule(
    module: string,
    tables: EventTables | undefined,
    subscriptions: SubscriptionSpec[],
    database: Database,
  ): void {
    const { log, metrics, config } = this.options;
    if (tables && this.transport) {
      this.relays.push(
        new OutboxRelay({
          module,
          database,
          outbox: tables.outbox,
          transport: this.transport,
          log,
          metrics,
          pollMs: config.OUTBOX_POLL_MS,
        }),
      );
    }
    if (subscriptions.length > 0 && !tables)
      throw new Error(`${module} subscribes to events but declares no event tables`);
    if (tables) this.deadLetterCounts.push(() => countDeadLetters(database.db, tables.deadLetters));
    for (const spec of subscriptions) {
      const bound = bindSubscription({
        module,
        spec,
        db: database.db,
        inbox: tables!.inbox,
        deadLetters: tables!.deadLetters,
        log,
        metrics,
      });
      this.subscriptions.set(bound.consumer, bound);
    }
  }

  /** Starts consuming and relaying. */
  async start(): Promise<void> {
    if (!this.transport) return;
    for (const subscription of this.subscriptions.values()) await this.transport.subscribe(subscription);
    for (const relay of this.relays) await relay.start();
    this.exportGauges();
  }

  /** Seconds the module's consumers are behind: the age of the oldest event one of them has yet to apply (0 when caught up). */
  async pendingAge(module: string): Promise<number> {
    const { consumers } = await this.backlog();
    const ages = consumers.filter((c) => c.consumer.startsWith(`${module}.`)).map((c) => c.ageSeconds);
    return Math.max(0, ...ages);
  }

  private exportGauges(): void {
    const { metrics } = this.options;
    this.unregister.push(
      metrics.outboxBacklog.add(async () => (await this.backlog()).outboxes.map((o) => [{ module: o.module }, o.rows])),
      metrics.outboxOldestAge.add(async () =>
        (await this.backlog()).outboxes.map((o) => [{ module: o.module }, o.ageSeconds]),
      ),
      metrics.pendingAge.add(async () =>
        (await this.backlog()).consumers.map((c) => [{ consumer: c.consumer }, c.ageSeconds]),
      ),
      metrics.deadLetters.add(async () => {
        const counts = new Map([...this.subscriptions.keys()].map((consumer) => [consumer, 0]));
        for (const d of (await Promise.all(this.deadLetterCounts.map((read) => read()))).flat())
          counts.set(d.consumer, d.count);
        return [...counts].map(([consumer, count]) => [{ consumer }, count]);
      }),
    );
    if (this.streams) {
      this.unregister.push(
        metrics.streamPending.add(async () =>
          (await this.backlog()).streams.flatMap((s) => [
            [{ consumer: s.consumer, state: 'pending' }, s.pending],
            [{ consumer: s.consumer, state: 'undelivered' }, s.undelivered],
          ]),
        ),
      );
    }
  }

  private backlog(): Promise<BacklogReading> {
    const now = Date.now();
    if (!this.reading || now - this.reading.at > 1000) this.reading = { at: now, value: this.readBacklog() };
    return this.reading.value;
  }

  private async readBacklog(): Promise<BacklogReading> {
    const now = Date.now();
    const ageOf = (oldest: Date | null) => (oldest ? Math.max(0, (now - oldest.getTime()) / 1000) : 0);
    const relays = await Promise.all(
      this.relays.map(async (relay) => ({ module: relay.module, events: await relay.backlog() })),
    );
    const outboxes = relays.map(({ module, events }) => {
      const oldest = events.map((e) => e.oldest?.getTime() ?? now);
      return {
        module,
        rows: events.reduce((sum, e) => sum + e.rows, 0),
        ageSeconds: ageOf(oldest.length > 0 ? new Date(Math.min(...oldest)) : null),
      };
    });
    const streams = this.streams ? await this.streams.backlog() : [];
    const unsent = new Map(relays.flatMap((r) => r.events).map((e) => [e.event, e.oldest]));
    const consumers = this.streams
      ? streams.map((s) => ({ consumer: s.consumer, ageSeconds: ageOf(s.oldest) }))
      : // In-process delivery happens before a row is marked sent: an unsent row is an event its consumers have yet to apply.
        [...this.subscriptions.values()].map((s) => ({
          consumer: s.consumer,
          ageSeconds: ageOf(unsent.get(s.event) ?? null),
        }));
    return { outboxes, consumers, streams };
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
    for (const remove of this.unregister.splice(0)) remove();
    for (const relay of this.relays) await relay.stop();
    await this.transport?.stop();
  }
}

interface BacklogReading {
  outboxes: { module: string; rows: number; ageSeconds: number }[];
  consumers: { consumer: string; ageSeconds: number }[];
  streams: ConsumerBacklog[];
}
