import { randomUUID } from 'node:crypto';
import { duplicateClient, type RedisClient } from '../cache/redis-client.ts';
import type { DiscoveryLog } from '../discovery/discovery-source.ts';
import { rolloutPlanSchema, type RolloutPlan, type RolloutPlanInput } from './rollout-plan.ts';

const planKey = (module: string) => `rollout:plan:${module}`;
// ioredis prefixes keys but not channels: the channel carries the prefix itself.
const channelOf = (redis: RedisClient) => `${redis.options.keyPrefix ?? ''}rollout:changed`;

// Replaces the plan only if it is still the one a decision was made for (ARGV[1] = its id).
const REPLACE = `
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current).id ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

/**
 * The rollout plans of modules, kept in Redis (`rollout:plan:<module>`) so that every gateway
 * and service routes alike and an operator's script can change them: watchers re-read on a
 * change message and every `refreshMs` as a backstop; `plan()` answers from the last read.
 */
export class RolloutStore {
  private readonly plans = new Map<string, RolloutPlan>();
  private readonly watched = new Set<string>();
  private subscriber: RedisClient | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: { refreshMs?: number; log?: DiscoveryLog } = {},
  ) {}

  /** The plan of `module` as last read (undefined: no plan, every version takes calls). */
  plan(module: string): RolloutPlan | undefined {
    return this.plans.get(module);
  }

  /** Reads the plans of `modules` now and follows their changes until stop(). */
  async watch(modules: readonly string[]): Promise<void> {
    for (const module of modules) this.watched.add(module);
    if (!this.subscriber) {
      const subscriber = duplicateClient(this.redis);
      subscriber.on('error', () => {}); // the backstop refresh keeps plans current meanwhile
      subscriber.on('message', (_channel: string, module: string) => {
        if (this.watched.has(module)) void this.refresh([module]);
      });
      subscriber.on('ready', () => void this.refresh([...this.watched]));
      await subscriber.subscribe(channelOf(this.redis));
      this.subscriber = subscriber;
      this.schedule();
    }
    await this.read(modules);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  /** Sets the plan of `module` (a new id) and tells every watcher; returns it. */
  async set(module: string, input: RolloutPlanInput): Promise<RolloutPlan> {
    const plan = rolloutPlanSchema.parse({ ...input, id: randomUUID() });
    await this.redis.set(planKey(module), JSON.stringify(plan));
    await this.redis.publish(channelOf(this.redis), module);
    this.plans.set(module, plan);
    return plan;
  }

  /** Replaces the plan whose id is `expectedId` (false when it has changed since: someone decided first). */
  async replace(module: string, expectedId: string, input: RolloutPlanInput): Promise<boolean> {
    const plan = rolloutPlanSchema.parse({ ...input, id: randomUUID() });
    const replaced = await this.redis.eval(
      REPLACE,
      1,
      planKey(module),
      expectedId,
      JSON.stringify(plan),
      channelOf(this.redis),
      module,
    );
    if (replaced === 1) this.plans.set(module, plan);
    return replaced === 1;
  }

  /** Removes the plan of `module`: every healthy instance takes calls again. */
  async clear(module: string): Promise<void> {
    await this.redis.del(planKey(module));
    await this.redis.publish(channelOf(this.redis), module);
    this.plans.delete(module);
  }

  /** Reads the plans of `modules` from Redis (rejects if it cannot). */
  async read(modules: readonly string[]): Promise<void> {
    if (modules.length === 0) return;
    // One GET per module: the keys may live on different slots of a Redis Cluster.
    const values = await Promise.all(modules.map((module) => this.redis.get(planKey(module))));
    modules.forEach((module, i) => {
      const parsed = values[i] ? rolloutPlanSchema.safeParse(JSON.parse(values[i]!)) : undefined;
      const before = this.plans.get(module);
      if (parsed?.success) this.plans.set(module, parsed.data);
      else this.plans.delete(module);
      const after = this.plans.get(module);
      if (before?.id !== after?.id) this.options.log?.info({ module, plan: after ?? null }, 'rollout: plan changed');
    });
  }

  private async refresh(modules: readonly string[]): Promise<void> {
    try {
      await this.read(modules);
    } catch (err) {
      this.options.log?.warn({ err: (err as Error).message }, 'rollout: plans unreadable; keeping the last ones');
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.refresh([...this.watched]).then(() => {
        if (this.subscriber) this.schedule();
      });
    }, this.options.refreshMs ?? 5_000);
    this.timer.unref();
  }
}
