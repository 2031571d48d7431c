import type { Logger } from '../observability/logger.ts';
import { every, type Periodic } from '../time/every.ts';
import type { PgHost, PostgresUrl } from './postgres-url.ts';
import { ServerProbe, type ServerState } from './server-probe.ts';

const HISTORY_MS = 60_000;

export interface ReplicationOptions {
  /** The hosts writes may go to (a multi-host DATABASE_URL). */
  write: PostgresUrl;
  /** Replicas reads may go to (DATABASE_READ_URLS). */
  readUrls: string[];
  probeMs: number;
  log: Logger;
  /** Told when the primary moves from one host to another. */
  onFailover?: (from: PgHost, to: PgHost) => void;
  /** Told after each round of probes, with each read replica's lag in ms (undefined: not usable). */
  onObserved?: (replicaLagsMs: (number | undefined)[]) => void;
}

const keyOf = (h: PgHost) => `${h.host}:${h.port}`;

/**
 * Watches a replicated PostgreSQL: which host is the primary (as libpq's
 * target_session_attrs=read-write checks: pg_is_in_recovery()), and how fresh each read
 * replica is. Freshness is measured against the primary's WAL position sampled over time,
 * so "fresh as of t" means the replica has replayed every commit acknowledged before t.
 */
export class Replication {
  private readonly probes = new Map<string, ServerProbe>();
  private readonly states = new Map<string, ServerState>();
  private readonly readKeys: string[];
  private readonly freshAsOf: (number | undefined)[];
  private history: { at: number; lsn: bigint }[] = [];
  private current: PgHost | undefined;
  private lastKnown: PgHost | undefined;
  /** Probes in a row the current primary did not answer: one miss under load is not a failover. */
  private misses = 0;
  private lastPrimaryAt = 0;
  private probing: Periodic | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: ReplicationOptions) {
    const timeoutMs = Math.max(2000, options.probeMs * 4);
    for (const host of options.write.hosts)
      this.probes.set(keyOf(host), new ServerProbe(options.write.forHost(host), timeoutMs));
    this.readKeys = options.readUrls.map((url) => {
      const parsed = new URL(url);
      const key = `${parsed.hostname}:${parsed.port || '5432'}`;
      if (!this.probes.has(key)) this.probes.set(key, new ServerProbe(url, timeoutMs));
      return key;
    });
    this.freshAsOf = this.readKeys.map(() => undefined);
  }

  /** Probes once (so the primary is known before the first query), then keeps probing. */
  async start(): Promise<void> {
    await this.tick();
    if (this.stopped) return;
    this.probing = every(this.options.probeMs, () => this.tick(), this.options.log, { name: 'replication probe' });
  }

  /** A single-host URL of the write database (credentials, name, parameters), for clients whose sockets follow the primary. */
  get writeUrl(): string {
    return this.options.write.forHost(this.options.write.hosts[0]!);
  }

  /** The host writes go to now; undefined while no primary is known (failover in progress). */
  get primary(): PgHost | undefined {
    return this.current;
  }

  /** Probes again soon: a connection to the primary just failed. */
  wake(): void {
    if (!this.stopped) this.probing?.wake();
  }

  /**
   * How far behind the primary read replica i is, in ms; undefined when it is down or its
   * freshness is unknown. While no primary is known, measured from when one was last seen.
   */
  replicaLagMs(i: number, now = Date.now()): number | undefined {
    const fresh = this.freshAsOf[i];
    if (fresh === undefined) return undefined;
    const reference = this.current ? now : this.lastPrimaryAt;
    return Math.max(0, reference - fresh);
  }

  /** The role of every server seen ("primary", "standby", "down"), by host:port. */
  roles(): Record<string, string> {
    const roles: Record<string, string> = {};
    for (const [key, state] of this.states) roles[key] = state.role;
    return roles;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.probing?.stop();
    await this.ticking?.catch(() => {});
    await Promise.allSettled([...this.probes.values()].map((p) => p.close()));
  }

  private tick(): Promise<void> {
    this.ticking ??= this.observe().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async observe(): Promise<void> {
    // Write hosts first: a replica's position is compared with primary positions sampled before it.
    const writeHosts = this.options.write.hosts;
    const seen = await Promise.all(writeHosts.map((h) => this.probes.get(keyOf(h))!.probe()));
    writeHosts.forEach((h, i) => {
      this.states.set(keyOf(h), seen[i]!);
    });
    this.choosePrimary(writeHosts, seen);
    const readOnly = [...new Set(this.readKeys)].filter((key) => !writeHosts.some((h) => keyOf(h) === key));
    const replicaStates = await Promise.all(readOnly.map((key) => this.probes.get(key)!.probe()));
    readOnly.forEach((key, i) => {
      this.states.set(key, replicaStates[i]!);
    });
    this.readKeys.forEach((key, i) => {
      this.freshAsOf[i] = this.freshness(this.states.get(key));
    });
    this.options.onObserved?.(this.readKeys.map((_, i) => this.replicaLagMs(i)));
  }

  private choosePrimary(hosts: PgHost[], seen: ServerState[]): void {
    const primaries = hosts.filter((_, i) => seen[i]!.role === 'primary');
    const previous = this.current;
    const previousState = previous ? seen[hosts.findIndex((h) => keyOf(h) === keyOf(previous))] : undefined;
    if (previous && previousState?.role === 'down' && primaries.length === 0 && ++this.misses < 2) {
      this.wake();
      return;
    }
    this.misses = 0;
    // Stay on the current primary while it still is one; else take the first host that is.
    const next = previous && primaries.some((h) => keyOf(h) === keyOf(previous)) ? previous : primaries[0];
    const at = seen[0]?.at ?? Date.now();
    if (next) {
      const state = seen[hosts.indexOf(next)]!;
      if (this.lastKnown && keyOf(this.lastKnown) !== keyOf(next)) this.history = [];
      this.history.push({ at: state.at, lsn: state.lsn });
      while (this.history.length > 1 && this.history[0]!.at < at - HISTORY_MS) this.history.shift();
      this.lastPrimaryAt = state.at;
    }
    if (previous && !next)
      this.options.log.warn(
        { primary: keyOf(previous) },
        'database primary lost; writes answer 503 until one is found',
      );
    if (next && (!previous || keyOf(previous) !== keyOf(next))) {
      const before = this.lastKnown;
      this.options.log.warn(
        { primary: keyOf(next), previous: before ? keyOf(before) : undefined },
        'database primary found',
      );
      if (before && keyOf(before) !== keyOf(next)) this.options.onFailover?.(before, next);
      this.lastKnown = next;
    }
    this.current = next;
  }

  /** The newest time at which the primary's WAL position was at or behind this server's. */
  private freshness(state: ServerState | undefined): number | undefined {
    if (!state || state.role === 'down') return undefined;
    if (state.role === 'primary') return state.at;
    for (let i = this.history.length - 1; i >= 0; i--) {
      if (this.history[i]!.lsn <= state.lsn) return this.history[i]!.at;
    }
    return undefined;
  }
}
