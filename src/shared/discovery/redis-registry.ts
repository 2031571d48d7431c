import { duplicateClient, type RedisClient } from '../cache/redis-client.ts';
import type { DiscoveryLog, DiscoverySource, Instance, InstancesListener } from './discovery-source.ts';
import { InstanceList } from './instance-list.ts';
import { registryKeys } from './registry-keys.ts';

/** Options of {@link RedisRegistry}. */
export interface RedisRegistryOptions {
  /** Used for reads; a duplicate connection is opened for the subscription. */
  redis: RedisClient;
  module: string;
  /** Backstop re-read in case a change message is lost; default 5 s. */
  refreshMs?: number;
  log?: DiscoveryLog;
}

// Prunes expired entries (server clock) and returns [now, [id, expiry, ...], [urls...], [versions...]].
const READ = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HDEL', KEYS[2], unpack(expired))
  redis.call('HDEL', KEYS[3], unpack(expired))
  redis.call('PUBLISH', ARGV[1], 'changed')
end
local live = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local ids = {}
for i = 1, #live, 2 do ids[#ids + 1] = live[i] end
local urls = {}
local versions = {}
if #ids > 0 then
  urls = redis.call('HMGET', KEYS[2], unpack(ids))
  versions = redis.call('HMGET', KEYS[3], unpack(ids))
end
return { now, live, urls, versions }
`;

/**
 * Watches a module's instances in the Redis registry (see {@link registerInstance}): re-reads
 * on every change message, when the next entry expires, and every `refreshMs` as a backstop.
 */
export class RedisRegistry implements DiscoverySource {
  private readonly list = new InstanceList();
  private readonly redis: RedisClient;
  private readonly module: string;
  private readonly keys: ReturnType<typeof registryKeys>;
  private readonly refreshMs: number;
  private readonly log: DiscoveryLog | undefined;
  private subscriber: RedisClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private failing = false;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;

  constructor(options: RedisRegistryOptions) {
    this.redis = options.redis;
    this.module = options.module;
    this.keys = registryKeys(options.redis, options.module);
    this.refreshMs = options.refreshMs ?? 5_000;
    this.log = options.log;
  }

  /** Subscribes to changes, then reads the registry once (rejects if Redis cannot be read). */
  async start(): Promise<void> {
    if (this.running) return;
    const subscriber = duplicateClient(this.redis);
    let subscriberFailing = false;
    subscriber.on('error', (err: Error) => {
      if (!subscriberFailing)
        this.log?.warn({ module: this.module, err: err.message }, 'discovery: registry subscription error');
      subscriberFailing = true;
    });
    subscriber.on('message', () => this.refresh());
    // After a reconnect ioredis resubscribes; messages sent meanwhile are lost, so read again.
    subscriber.on('ready', () => {
      subscriberFailing = false;
      this.refresh();
    });
    try {
      await subscriber.subscribe(this.keys.channel);
      this.subscriber = subscriber;
      this.running = true;
      await this.read();
    } catch (err) {
      this.running = false;
      this.subscriber = undefined;
      subscriber.disconnect();
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  instances(): readonly Instance[] {
    return this.list.get();
  }

  subscribe(listener: InstancesListener): () => void {
    return this.list.subscribe(listener);
  }

  /** Reads again now, or right after the read in progress (coalescing bursts of messages). */
  private refresh(): void {
    if (!this.running) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        try {
          await this.read();
          if (this.failing) this.log?.info({ module: this.module }, 'discovery: registry readable again');
          this.failing = false;
        } catch (err) {
          if (this.running && !this.failing)
            this.log?.warn(
              { module: this.module, err: (err as Error).message },
              'discovery: registry read failed; keeping last instances',
            );
          this.failing = true;
          this.schedule(this.refreshMs);
        }
      } while (this.refreshAgain && this.running);
      this.refreshing = undefined;
    })();
  }

  private async read(): Promise<void> {
    const [now, live, urls, versions] = (await this.redis.eval(
      READ,
      3,
      this.keys.members,
      this.keys.urls,
      this.keys.versions,
      this.keys.channel,
    )) as [number, string[], (string | null)[], (string | null)[]];
    if (!this.running) return;
    const instances: Instance[] = [];
    let nextExpiry = Infinity;
    for (let i = 0; i < live.length; i += 2) {
      const url = urls[i / 2];
      const version = versions[i / 2];
      if (url) instances.push({ id: live[i]!, url, ...(version ? { version } : {}) });
      nextExpiry = Math.min(nextExpiry, Number(live[i + 1]));
    }
    if (this.list.set(instances))
      this.log?.info({ module: this.module, instances: instances.length }, 'discovery: registry instances changed');
    // Wake up just after the next entry would expire, in case its heartbeat has stopped.
    this.schedule(Math.min(this.refreshMs, Math.max(1, nextExpiry - now + 5)));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => this.refresh(), delayMs);
    this.timer.unref();
  }
}
