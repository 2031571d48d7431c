import { duplicateClient, isCluster, slotOf, type RedisClient } from '../cache/redis-client.ts';
import type { Logger } from '../observability/logger.ts';
import type { EventMessage } from './envelope.ts';
import { inLanes } from './lanes.ts';
import type { BoundSubscription } from './subscription.ts';
import type { DeliveryPolicy, EventTransport } from './transport.ts';

export interface RedisStreamsOptions {
  redis: RedisClient;
  /** This process's consumer name within each group (unique per instance). */
  consumerName: string;
  policy: DeliveryPolicy;
  /** Approximate number of entries each stream keeps (XADD MAXLEN ~). */
  maxLength: number;
  /**
   * Replicas that must hold an append before the relay counts it as sent (WAIT), so a Redis
   * failover cannot lose it; 0 = do not wait. Not applied on a Redis Cluster (WAIT has no key to route by).
   */
  minReplicas?: number;
  /** Block time of one XREADGROUP call. */
  blockMs?: number;
  /** Aggregates applied at once from one read (each aggregate's entries in order). */
  concurrency: number;
  log: Logger;
}

const streamOf = (event: string) => `stream:${event}`;
// Tagged with its stream's slot: acknowledging clears both in one MULTI, also on a Redis Cluster.
const attemptsOf = (redis: RedisClient, stream: string, group: string) =>
  `stream-attempts:${slotOf(redis, stream)}:${group}`;

type StreamEntries = [id: string, fields: string[]][];

/**
 * Redis Streams between processes: one stream per event, one consumer group per subscription,
 * competing consumers across instances. A failed message stays pending and is claimed again
 * (XAUTOCLAIM) after the retry delay, as are the pending messages of a dead consumer; after
 * policy.maxAttempts it is dead-lettered and acknowledged. The entries of one read are applied
 * by aggregate side by side (each aggregate's in stream order) and acknowledged together.
 */
export class RedisStreamsTransport implements EventTransport {
  private readonly loops: Promise<void>[] = [];
  private readonly readers: RedisClient[] = [];
  private readonly groups: { consumer: string; stream: string }[] = [];
  private running = true;

  constructor(private readonly options: RedisStreamsOptions) {}

  async publish(messages: EventMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const { redis, maxLength } = this.options;
    const add = (target: Pick<RedisClient, 'xadd'>, message: EventMessage) =>
      target.xadd(streamOf(message.envelope.event), 'MAXLEN', '~', maxLength, '*', 'm', JSON.stringify(message));
    if (isCluster(redis)) {
      // A cluster pipeline must stay within one slot: send the streams' appends side by side.
      await Promise.all(messages.map((message) => add(redis, message)));
      return;
    }
    const pipeline = redis.pipeline();
    for (const message of messages) void add(pipeline as unknown as Pick<RedisClient, 'xadd'>, message);
    const minReplicas = this.options.minReplicas ?? 0;
    if (minReplicas > 0) pipeline.wait(minReplicas, 1000);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    // Too few replicas have the appends: not sent yet, the relay retries (consumers dedupe a repeat).
    if (minReplicas > 0 && Number(results.at(-1)?.[1]) < minReplicas)
      throw new Error(`only ${String(results.at(-1)?.[1])} Redis replicas acknowledged the events`);
  }

  async subscribe(subscription: BoundSubscription): Promise<void> {
    const stream = streamOf(subscription.event);
    const group = subscription.consumer;
    try {
      // ioredis does not apply keyPrefix to XGROUP (its key follows a subcommand): add it here.
      await this.options.redis.xgroup(
        'CREATE',
        `${this.options.redis.options.keyPrefix ?? ''}${stream}`,
        group,
        '0',
        'MKSTREAM',
      );
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
    this.groups.push({ consumer: group, stream });
    const reader = duplicateClient(this.options.redis);
    this.readers.push(reader);
    this.loops.push(this.readLoop(reader, subscription, stream, group), this.reclaimLoop(subscription, stream, group));
  }

  /**
   * Per consumer group: entries delivered but not acknowledged, entries not yet delivered, and
   * when the oldest of either was added (stream ids start with their time in ms).
   */
  async backlog(): Promise<ConsumerBacklog[]> {
    const { redis } = this.options;
    const prefix = redis.options.keyPrefix ?? '';
    return Promise.all(
      this.groups.map(async ({ consumer, stream }) => {
        // ioredis does not prefix XINFO's key either (it follows a subcommand).
        const groups = (await redis.xinfo('GROUPS', `${prefix}${stream}`)) as (string | number | null)[][];
        const info = groups.map(fieldsOf).find((g) => g.name === consumer);
        const [pending, oldestPendingId] = (await redis.xpending(stream, consumer)) as [number, string | null];
        const lastDelivered = String(info?.['last-delivered-id'] ?? '0-0');
        const [next] = (await redis.xrange(stream, `(${lastDelivered}`, '+', 'COUNT', 1)) as StreamEntries;
        const undelivered = info?.lag === null || info?.lag === undefined ? (next ? 1 : 0) : Number(info.lag);
        const times = [oldestPendingId, next?.[0]].filter((id): id is string => Boolean(id)).map(timeOfId);
        return {
          consumer,
          pending: Number(pending),
          undelivered,
          oldest: times.length > 0 ? new Date(Math.min(...times)) : null,
        };
      }),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const reader of this.readers) reader.disconnect();
    await Promise.allSettled(this.loops);
  }

  private async readLoop(
    reader: RedisClient,
    subscription: BoundSubscription,
    stream: string,
    group: string,
  ): Promise<void> {
    const { consumerName, blockMs = 1000 } = this.options;
    while (this.running) {
      try {
        const reply = (await reader.xreadgroup(
          'GROUP',
          group,
          consumerName,
          'COUNT',
          100,
          'BLOCK',
          blockMs,
          'STREAMS',
          stream,
          '>',
        )) as [string, StreamEntries][] | null;
        for (const [, entries] of reply ?? []) await this.handle(subscription, stream, group, entries, false);
      } catch (error) {
        if (!this.running) return;
        this.options.log.warn({ consumer: group, err: (error as Error).message }, 'stream read failed');
        await sleep(500);
      }
    }
  }

  private async reclaimLoop(subscription: BoundSubscription, stream: string, group: string): Promise<void> {
    const { redis, consumerName, policy } = this.options;
    while (this.running) {
      await sleep(policy.retryDelayMs);
      if (!this.running) return;
      try {
        let cursor = '0-0';
        do {
          const [next, entries, deleted] = (await redis.xautoclaim(
            stream,
            group,
            consumerName,
            policy.retryDelayMs,
            cursor,
            'COUNT',
            100,
          )) as [string, StreamEntries, string[]];
          if (deleted?.length)
            this.options.log.error(
              { consumer: group, ids: deleted },
              'pending stream entries were trimmed before delivery',
            );
          await this.handle(subscription, stream, group, entries, true);
          cursor = next;
        } while (cursor !== '0-0' && this.running);
      } catch (error) {
        if (this.running)
          this.options.log.warn({ consumer: group, err: (error as Error).message }, 'stream reclaim failed');
      }
    }
  }

  private async handle(
    subscription: BoundSubscription,
    stream: string,
    group: string,
    entries: StreamEntries,
    redelivery: boolean,
  ) {
    const { redis, policy, concurrency } = this.options;
    const messages = entries.flatMap(([id, fields]) =>
      fields ? [{ id, message: JSON.parse(fields[1] ?? 'null') as EventMessage }] : [],
    ); // a claimed entry may have been deleted
    const done: string[] = [];
    await inLanes(
      messages,
      (m) => m.message.envelope.aggregateId,
      concurrency,
      async ({ id, message }) => {
        try {
          await subscription.apply(message);
          done.push(id);
        } catch (error) {
          const attempts = await redis.hincrby(attemptsOf(redis, stream, group), id, 1);
          if (attempts >= policy.maxAttempts) {
            await subscription.deadLetter(message, error, attempts);
            done.push(id);
          } else {
            this.options.log.warn(
              { consumer: group, id, attempts, redelivery, err: (error as Error).message },
              'delivery failed; will retry',
            );
          }
        }
      },
    );
    if (done.length > 0)
      await redis
        .multi()
        .xack(stream, group, ...done)
        .hdel(attemptsOf(redis, stream, group), ...done)
        .exec();
  }
}

/** What a consumer group has yet to apply. */
export interface ConsumerBacklog {
  consumer: string;
  pending: number;
  undelivered: number;
  oldest: Date | null;
}

/** XINFO replies as a flat [field, value, …] list. */
function fieldsOf(flat: (string | number | null)[]): Record<string, string | number | null> {
  const fields: Record<string, string | number | null> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = flat[i + 1] ?? null;
  return fields;
}

const timeOfId = (id: string) => Number(id.split('-')[0]);

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
