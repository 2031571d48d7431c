/**
 * PostgreSQL failover under load, shared by the test (CI size) and `npm run drill -- pg-failover`:
 * a primary with streaming replicas, a deployment on it (multi-host DATABASE_URL, replicas in
 * DATABASE_READ_URLS), writers listing items and readers reading them through the public API;
 * the primary is SIGKILLed, the most advanced standby promoted and the others re-pointed.
 */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { apiClient } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { drill } from '../support/fixtures.ts';
import { aroundFault, type FailoverLoad } from './failover-load.ts';
import { startReplicatedPostgres } from '../support/postgres-replicas.ts';
import { startTopology, type TopologyName } from '../support/topology.ts';

export interface PgFailoverResult {
  topology: TopologyName;
  replicas: number;
  /** Writes that got a 2xx. */
  acknowledged: number;
  /** Acknowledged writes missing from the new primary afterwards. */
  lost: number;
  /** Writes that failed (503 with Retry-After while no primary, or cut connections). */
  failedWrites: number;
  /** Failed writes answered with something other than 503 + Retry-After. */
  failedOtherwise: string[];
  /** The longest time without an acknowledged write after the SIGKILL (the failover's write gap). */
  writeGapMs: number;
  /** From the SIGKILL until the standby was promoted and the others re-pointed (the operator's part). */
  promotionMs: number;
  reads: number;
  /** Reads of an item acknowledged longer ago than the lag bound that did not find it. */
  staleReads: number;
  /** Share of reads served by replicas, from db_reads_total. */
  replicaReadShare: number;
  /** db_failovers_total after the drill. */
  failoversSeen: number;
  /** An item listed after the failover reached the catalog (relay and consumers resumed). */
  eventsResumed: boolean;
  /** Database roles on /readyz after the failover. */
  roles: unknown;
}

/** Runs one failover drill; loadMs of load before the kill and after the recovery. */
export async function runPgFailover(options: {
  topology: TopologyName;
  replicas?: number;
  loadMs?: number;
  workers?: number;
  maxLagMs?: number;
}): Promise<PgFailoverResult> {
  const { topology, replicas = 4, loadMs = 1500, workers = 4, maxLagMs = 1000 } = options;
  const pg = await startReplicatedPostgres(replicas);
  const env = {
    DATABASE_URL: pg.url,
    DATABASE_READ_URLS: pg.readUrls.join(','),
    DATABASE_MAX_REPLICA_LAG_MS: String(maxLagMs),
    BREAKER_HALF_OPEN_MS: '500',
    DB_POOL_MAX: '8',
  };
  const deployment = await startTopology(topology, env).catch(async (error: unknown) => {
    await pg.stop();
    throw error;
  });
  try {
    const api = apiClient(deployment.baseUrl);
    const owner = await api.newUser('ha-owner');
    let reads = 0;
    let staleReads = 0;
    let promoted: Awaited<ReturnType<typeof pg.failover>> | undefined;
    let promotionMs = 0;
    const reader = async (load: FailoverLoad) => {
      while (load.running) {
        const sentAt = Date.now();
        const old = load.acknowledged.filter((w) => w.at < sentAt - maxLagMs);
        const pick = old[Math.floor(Math.random() * old.length)];
        if (!pick) {
          // Nothing old enough to read yet.
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const response = await api.request('GET', `/v1/items/${pick.id}`).catch(() => ({ status: 0 }));
        reads++;
        if (response.status === 404) staleReads++;
      }
    };
    const { acknowledged, failedWrites, failedOtherwise, faultAt } = await aroundFault({
      api,
      token: owner.accessToken,
      workers,
      loadMs,
      recoverMs: 30_000,
      title: 'HA drill',
      extra: (load) => [reader(load), reader(load)],
      async fault(injected) {
        const primary = await pg.primary();
        const killedAt = Date.now();
        injected();
        pg.kill(primary);
        promoted = await pg.failover();
        promotionMs = Date.now() - killedAt;
        progress(`killed ${primary.name}, promoted ${promoted.name} in ${promotionMs} ms`);
      },
    });
    progress(`load stopped: ${acknowledged.length} writes acknowledged, ${failedWrites} failed`);
    const title = `after failover ${randomUUID().slice(0, 8)}`;
    const created = await eventually('a listing after the failover', async () => {
      const r = await api.request('POST', '/v1/items', { token: owner.accessToken, body: drill({ title }) });
      return r.status === 201 ? r : undefined;
    });
    const eventsResumed = await eventually(
      'the catalog to show it',
      async () => {
        const r = await api.request('GET', `/v1/catalog/search?q=${encodeURIComponent(title)}`);
        return r.status === 200 && r.body.items?.some((i: { id: string }) => i.id === created.body.id)
          ? true
          : undefined;
      },
      20_000,
    ).catch(() => false);

    const sql = postgres(pg.nodeUrl(promoted!), { max: 1, onnotice: () => {} });
    const present = new Set((await sql<{ id: string }[]>`select id::text from inventory.items`).map((r) => r.id));
    await sql.end();
    const lost = acknowledged.filter((w) => !present.has(w.id)).length;

    const ready = await fetch(`${deployment.baseUrl}/readyz`).then((r) => r.json() as Promise<{ databases?: unknown }>);
    const metrics = await metricsOf(deployment.baseUrl, topology);
    return {
      topology,
      replicas,
      acknowledged: acknowledged.length,
      lost,
      failedWrites,
      failedOtherwise,
      writeGapMs: longestGap(
        acknowledged.map((w) => w.at),
        faultAt,
      ),
      promotionMs,
      reads,
      staleReads,
      replicaReadShare: metrics.replicaReads / Math.max(1, metrics.replicaReads + metrics.primaryReads),
      failoversSeen: metrics.failovers,
      eventsResumed,
      roles: ready.databases,
    };
  } finally {
    await deployment.stop();
    await pg.stop();
  }
}

/** A line on stderr when DRILL_VERBOSE is set. */
function progress(line: string): void {
  if (process.env.DRILL_VERBOSE) process.stderr.write(`[pg-failover] ${line}\n`);
}

/** Sums the database metrics of the process serving reads (the monolith, or the gateway's view is empty: ask /readyz only). */
async function metricsOf(
  baseUrl: string,
  topology: TopologyName,
): Promise<{ replicaReads: number; primaryReads: number; failovers: number }> {
  const text = topology === 'monolith' ? await fetch(`${baseUrl}/metrics`).then((r) => r.text()) : '';
  let replicaReads = 0;
  let primaryReads = 0;
  let failovers = 0;
  for (const line of text.split('\n')) {
    const value = Number(line.split(' ').at(-1));
    if (line.startsWith('db_reads_total{') && line.includes('target="primary"')) primaryReads += value;
    else if (line.startsWith('db_reads_total{')) replicaReads += value;
    else if (line.startsWith('db_failovers_total{')) failovers += value;
  }
  return { replicaReads, primaryReads, failovers };
}

/** The longest time without an acknowledged write, from `from` on (ack times in any order). */
export function longestGap(acks: number[], from: number): number {
  const after = [from, ...acks.filter((t) => t >= from).sort((a, b) => a - b)];
  let longest = 0;
  for (let i = 1; i < after.length; i++) longest = Math.max(longest, after[i]! - after[i - 1]!);
  return longest;
}
