import type { DiscoveryLog, DiscoverySource, Instance } from './discovery-source.ts';
import { createHashRing, type HashRing } from './hash-ring.ts';
import { checkHealth } from './health-check.ts';
import { leastOutstanding } from './least-outstanding.ts';
import { roundRobin } from './round-robin.ts';
import { every, type Periodic } from '../time/every.ts';

/** The version group of instances whose registration carries no version (static and DNS sources). */
export const UNKNOWN_VERSION = 'unknown';

const sameAddress = (a: Instance, b: Instance) => a.url === b.url && a.version === b.version;

/** How {@link InstancePool.pick} chooses among healthy instances. */
export type BalancingStrategy = 'round_robin' | 'least_outstanding' | 'consistent_hash';

/** Options of {@link InstancePool}. */
export interface InstancePoolOptions {
  source: DiscoverySource;
  /** The module served by these instances (for logs). */
  module: string;
  /** Path GETted on each instance by active checks; default `/readyz`. */
  healthPath?: string;
  /** Time between active checks of an instance; default 5 s. */
  intervalMs?: number;
  /** Timeout of one active check; default the smaller of 2 s and `intervalMs`. */
  timeoutMs?: number;
  /** Consecutive reported failures that eject an instance; default 3. */
  failureThreshold?: number;
  /** Points per instance on the consistent-hash ring; default 100. */
  vnodes?: number;
  log: DiscoveryLog;
  /** Called with the healthy instances whenever that set changes, starting with the first list. */
  onChange?: (healthy: readonly Instance[]) => void;
}

/** One instance's state, for metrics and logs. */
export interface InstanceStatus extends Instance {
  healthy: boolean;
  /** Failures reported in a row since the last reported success. */
  consecutiveFailures: number;
  /** Requests acquired and not yet released. */
  outstanding: number;
  /** When it was ejected (epoch ms), while it is. */
  ejectedAt?: number;
}

interface Member {
  instance: Instance;
  healthy: boolean;
  consecutiveFailures: number;
  outstanding: number;
  ejectedAt: number | undefined;
  /** Bumped on each ejection: only a check started after the ejection may bring it back. */
  ejections: number;
  check: Promise<void> | undefined;
}

/**
 * The instances of one module that requests may go to: follows its discovery source,
 * ejects instances that fail (one failed active check, or `failureThreshold` reported
 * failures in a row), brings them back when an active check passes, and balances
 * requests over the healthy ones. New instances start healthy.
 */
export class InstancePool {
  private readonly source: DiscoverySource;
  private readonly module: string;
  private readonly healthPath: string;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly failureThreshold: number;
  private readonly vnodes: number;
  private readonly log: DiscoveryLog;
  private readonly onChange: ((healthy: readonly Instance[]) => void) | undefined;

  private readonly members = new Map<string, Member>();
  private healthyList: readonly Instance[] = [];
  /** Consistent-hash rings over the healthy instances, all of them ('') or one version's. */
  private readonly rings = new Map<string, HashRing<Instance>>();
  private byVersion: ReadonlyMap<string, readonly Instance[]> | undefined;
  private roundRobinTurn = 0;
  private tieTurn = 0;
  private running = false;
  private rounds: Periodic | undefined;
  private unsubscribe: (() => void) | undefined;
  private aborter = new AbortController();

  constructor(options: InstancePoolOptions) {
    this.source = options.source;
    this.module = options.module;
    this.healthPath = options.healthPath ?? '/readyz';
    this.intervalMs = options.intervalMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? Math.min(2_000, this.intervalMs);
    this.failureThreshold = options.failureThreshold ?? 3;
    this.vnodes = options.vnodes ?? 100;
    this.log = options.log;
    this.onChange = options.onChange;
  }

  /** Follows the source (whose instances serve at once) and starts active checks. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.aborter = new AbortController();
    this.unsubscribe = this.source.subscribe((instances) => this.sync(instances));
    this.sync(this.source.instances());
    this.startRounds();
  }

  /** Stops checking (cancelling checks in flight) and following the source. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.aborter.abort();
    await this.rounds?.stop();
    await Promise.allSettled([...this.members.values()].map((m) => m.check));
  }

  /**
   * A healthy instance chosen by `strategy` (`key` makes consistent_hash sticky), among those of
   * `version` when given; undefined when none is healthy.
   */
  pick(strategy: BalancingStrategy, key?: string, version?: string): Instance | undefined {
    const among = version === undefined ? this.healthyList : (this.healthyByVersion().get(version) ?? []);
    switch (strategy) {
      case 'round_robin':
        return roundRobin(among, this.roundRobinTurn++);
      case 'least_outstanding':
        return leastOutstanding(among, (i) => this.members.get(i.id)?.outstanding ?? 0, this.tieTurn++);
      case 'consistent_hash': {
        if (key === undefined) return roundRobin(among, this.roundRobinTurn++);
        let ring = this.rings.get(version ?? '');
        if (!ring) {
          ring = createHashRing(among, this.vnodes);
          this.rings.set(version ?? '', ring);
        }
        return ring.lookup(key);
      }
      default:
        throw new Error(`Unknown balancing strategy "${strategy as string}"`);
    }
  }

  /** Counts a request to `instance` as outstanding until the returned function is called (once). */
  acquire(instance: Instance): () => void {
    const member = this.memberOf(instance);
    if (!member) return () => {};
    member.outstanding++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      member.outstanding--;
    };
  }

  /** Records a failed request (no connection, timeout, no bus reply; never a typed error the handler returned); enough in a row eject the instance. */
  reportFailure(instance: Instance): void {
    const member = this.memberOf(instance);
    if (!member) return;
    member.consecutiveFailures++;
    if (member.healthy && member.consecutiveFailures >= this.failureThreshold) {
      this.eject(member, `${member.consecutiveFailures} consecutive failures`);
    }
  }

  /** Records a successful request, resetting the failure count (an ejected instance still waits for an active check). */
  reportSuccess(instance: Instance): void {
    const member = this.memberOf(instance);
    if (member) member.consecutiveFailures = 0;
  }

  /** The instances requests may go to now, sorted by id. */
  healthy(): readonly Instance[] {
    return this.healthyList;
  }

  /** The healthy instances grouped by build version (`unknown` for instances that did not say), each sorted by id. */
  healthyByVersion(): ReadonlyMap<string, readonly Instance[]> {
    if (!this.byVersion) {
      const groups = new Map<string, Instance[]>();
      for (const instance of this.healthyList) {
        const version = instance.version ?? UNKNOWN_VERSION;
        groups.set(version, [...(groups.get(version) ?? []), instance]);
      }
      this.byVersion = groups;
    }
    return this.byVersion;
  }

  /** Every known instance with its health and load, sorted by id. */
  status(): InstanceStatus[] {
    return [...this.members.values()]
      .map((m) => ({
        id: m.instance.id,
        url: m.instance.url,
        ...(m.instance.version === undefined ? {} : { version: m.instance.version }),
        healthy: m.healthy,
        consecutiveFailures: m.consecutiveFailures,
        outstanding: m.outstanding,
        ...(m.ejectedAt === undefined ? {} : { ejectedAt: m.ejectedAt }),
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private memberOf(instance: Instance): Member | undefined {
    const member = this.members.get(instance.id);
    return member && sameAddress(member.instance, instance) ? member : undefined;
  }

  private sync(instances: readonly Instance[]): void {
    if (!this.running) return;
    const seen = new Set<string>();
    for (const instance of instances) {
      seen.add(instance.id);
      const known = this.members.get(instance.id);
      if (known && sameAddress(known.instance, instance)) continue;
      const member: Member = {
        instance,
        healthy: true,
        consecutiveFailures: 0,
        outstanding: 0,
        ejectedAt: undefined,
        ejections: 0,
        check: undefined,
      };
      this.members.set(instance.id, member);
      this.check(member); // optimistic: it serves now, and the first check ejects it if it is down
    }
    for (const id of this.members.keys()) if (!seen.has(id)) this.members.delete(id);
    this.updateHealthy();
  }

  private startRounds(): void {
    this.rounds = every(
      this.intervalMs,
      async () => {
        await Promise.allSettled([...this.members.values()].map((m) => this.check(m)));
      },
      this.log,
      { name: 'discovery health checks' },
    );
  }

  /** Starts an active check of `member` unless one is in flight; resolves when it is done. */
  private check(member: Member): Promise<void> | undefined {
    if (member.check || !this.running) return member.check;
    const ejections = member.ejections;
    const { signal } = this.aborter;
    member.check = checkHealth(`${member.instance.url}${this.healthPath}`, { timeoutMs: this.timeoutMs, signal })
      .then((result) => {
        member.check = undefined;
        if (!this.running || signal.aborted || this.members.get(member.instance.id) !== member) return;
        if (!result.ok) {
          if (member.healthy) this.eject(member, `active check failed: ${result.reason}`);
        } else if (!member.healthy && member.ejections === ejections) {
          this.restore(member);
        }
      })
      .catch((err: unknown) => {
        member.check = undefined;
        this.log.warn(
          { module: this.module, instance: member.instance.id, err: (err as Error).message },
          'discovery: health check bookkeeping failed',
        );
      });
    return member.check;
  }

  private eject(member: Member, reason: string): void {
    member.healthy = false;
    member.ejections++;
    member.ejectedAt = Date.now();
    this.log.warn(
      { module: this.module, instance: member.instance.id, url: member.instance.url, reason },
      'discovery: instance ejected',
    );
    this.updateHealthy();
  }

  private restore(member: Member): void {
    const downMs = Date.now() - (member.ejectedAt ?? Date.now());
    member.healthy = true;
    member.consecutiveFailures = 0;
    member.ejectedAt = undefined;
    this.log.info(
      { module: this.module, instance: member.instance.id, url: member.instance.url, downMs },
      'discovery: instance returned',
    );
    this.updateHealthy();
  }

  private updateHealthy(): void {
    const next = [...this.members.values()]
      .filter((m) => m.healthy)
      .map((m) => m.instance)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const same = next.length === this.healthyList.length && next.every((i, n) => i === this.healthyList[n]);
    if (same) return;
    if (next.length === 0)
      this.log.warn({ module: this.module, known: this.members.size }, 'discovery: no healthy instances');
    this.healthyList = Object.freeze(next);
    this.rings.clear();
    this.byVersion = undefined;
    try {
      this.onChange?.(this.healthyList);
    } catch (err) {
      this.log.warn({ module: this.module, err: (err as Error).message }, 'discovery: onChange listener threw');
    }
  }
}
