import { lookup } from 'node:dns/promises';
import type { DiscoveryLog, DiscoverySource, Instance, InstancesListener } from './discovery-source.ts';
import { every, type Periodic } from '../time/every.ts';
import { InstanceList } from './instance-list.ts';

/** Options of {@link DnsSource}. */
export interface DnsSourceOptions {
  /** `name:port`, e.g. a Kubernetes headless Service `inventory.shop.svc.cluster.local:4001`. */
  target: string;
  /** How often to resolve the name again; default 5 s. */
  refreshMs?: number;
  protocol?: 'http' | 'https';
  log?: DiscoveryLog;
  /** Resolves a name to its addresses; default `dns.lookup` with `all: true` (honours /etc/hosts). */
  resolve?: (hostname: string) => Promise<string[]>;
}

const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA']);
const silent = { warn: () => {} };

/** One instance per A/AAAA address of a DNS name, resolved again every `refreshMs`. */
export class DnsSource implements DiscoverySource {
  private readonly list = new InstanceList();
  private readonly hostname: string;
  private readonly port: number;
  private readonly refreshMs: number;
  private readonly protocol: 'http' | 'https';
  private readonly log: DiscoveryLog | undefined;
  private readonly resolve: (hostname: string) => Promise<string[]>;
  private refreshing: Periodic | undefined;
  private running = false;
  private failing = false;

  constructor(options: DnsSourceOptions) {
    const { hostname, port } = parseTarget(options.target);
    this.hostname = hostname;
    this.port = port;
    this.refreshMs = options.refreshMs ?? 5_000;
    this.protocol = options.protocol ?? 'http';
    this.log = options.log;
    this.resolve = options.resolve ?? resolveAll;
  }

  /** Resolves once (a name with no records gives no instances; other DNS errors reject), then keeps refreshing. */
  async start(): Promise<void> {
    if (this.running) return;
    this.list.set(await this.addressesToInstances(this.hostname));
    this.running = true;
    this.refreshing = every(this.refreshMs, () => this.refresh(), this.log ?? silent, {
      name: 'DNS discovery refresh',
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.refreshing?.stop();
    this.refreshing = undefined;
  }

  instances(): readonly Instance[] {
    return this.list.get();
  }

  subscribe(listener: InstancesListener): () => void {
    return this.list.subscribe(listener);
  }

  private async refresh(): Promise<void> {
    try {
      const instances = await this.addressesToInstances(this.hostname);
      if (!this.running) return;
      if (this.failing) this.log?.info({ name: this.hostname }, 'discovery: DNS resolves again');
      this.failing = false;
      if (this.list.set(instances))
        this.log?.info({ name: this.hostname, instances: instances.length }, 'discovery: DNS instances changed');
    } catch (err) {
      // A transient DNS failure keeps the last known instances.
      if (this.running && !this.failing)
        this.log?.warn(
          { name: this.hostname, err: (err as Error).message },
          'discovery: DNS lookup failed; keeping last instances',
        );
      this.failing = true;
    }
  }

  private async addressesToInstances(hostname: string): Promise<Instance[]> {
    let addresses: string[];
    try {
      addresses = await this.resolve(hostname);
    } catch (err) {
      if (NOT_FOUND.has((err as NodeJS.ErrnoException).code ?? '')) return [];
      throw err;
    }
    return addresses.map((address) => {
      const host = address.includes(':') ? `[${address}]` : address;
      const url = `${this.protocol}://${host}:${this.port}`;
      return { id: url, url };
    });
  }
}

async function resolveAll(hostname: string): Promise<string[]> {
  const results = await lookup(hostname, { all: true });
  return results.map((r) => r.address);
}

function parseTarget(target: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d+)$/.exec(target.trim());
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`DNS target "${target}" must be name:port, e.g. inventory.shop.svc.cluster.local:4001`);
  }
  return { hostname: (match[1] ?? match[2])!, port };
}
