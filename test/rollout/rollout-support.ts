/**
 * Helpers of the rollout suite: a Fleet over a fault topology (the processes a rollout starts
 * and stops), the rollout store of its Redis namespace, and steady load that counts failures.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { spawnRuntime, stopAll, waitForReady } from '../../scripts/processes.ts';
import type { Fleet, FleetInstance } from '../../scripts/rollout/strategies.ts';
import { RolloutStore } from '../../src/shared/rollout/rollout-store.ts';
import { sleep, timed, type FaultTopology, type Timed } from '../faults/fault-support.ts';
import { freePort } from '../support/services.ts';

const READY_TIMEOUT_MS = 180_000;

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The topology's instances as a Fleet: names `<module>-<n>`, versions as started. */
export function topologyFleet(topology: FaultTopology): Fleet {
  const versions = new Map<string, string>();
  let started = 0;
  const running = () =>
    [...topology.processes, ...topology.extras].filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  return {
    async list(module) {
      return running()
        .filter((p) => p.name.startsWith(`${module}-`))
        .map((p) => ({ name: p.name, url: p.url, version: versions.get(p.name) ?? packageVersion }));
    },
    async start(module, version, env = {}) {
      const name = `${module}-v${version}-${++started}`;
      versions.set(name, version);
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const child = spawnRuntime(
        'service.ts',
        {
          ...topology.env,
          SHARELOOP_VERSION: version,
          ...env,
          SERVICE_NAME: name,
          MODULES: module,
          PORT: String(port),
          HOST: '127.0.0.1',
          ADVERTISE_URL: url,
        },
        { name },
      );
      topology.extras.push({ name, child, url });
      // A cold start on a shared, busy machine can take long; a dead process fails at once.
      await waitForReady(`${url}/readyz`, READY_TIMEOUT_MS, child);
      return { name, url, version } satisfies FleetInstance;
    },
    async stop(name) {
      await stopAll([topology.process(name).child]);
    },
    async restart(name) {
      await stopAll([topology.process(name).child]);
      await topology.restart(name);
    },
  };
}

/** The rollout plans of the topology's Redis namespace. */
export function topologyStore(env: Record<string, string>): { store: RolloutStore; close(): Promise<void> } {
  const redis = new Redis(env.REDIS_URL!, { keyPrefix: env.REDIS_KEY_PREFIX, maxRetriesPerRequest: 1 });
  return { store: new RolloutStore(redis), close: async () => void (await redis.quit()) };
}

/** One request of the load: a name and the call (its check says whether the answer is right). */
export interface LoadCall {
  what: string;
  send(): Promise<Timed>;
  ok(response: Timed): boolean;
}

/** Steady load: `loops` sequential clients, each pausing `pauseMs` between calls, until stopped. */
export function startLoad(calls: readonly LoadCall[], options: { loops?: number; pauseMs?: number } = {}) {
  const results: { what: string; status: number; ms: number; ok: boolean; body: unknown }[] = [];
  let running = true;
  const loops = Array.from({ length: options.loops ?? 2 }, async (_, n) => {
    for (let k = n; running; k++) {
      const call = calls[k % calls.length]!;
      const response = await call.send();
      results.push({
        what: call.what,
        status: response.status,
        ms: response.ms,
        ok: call.ok(response),
        body: response.body,
      });
      await sleep(options.pauseMs ?? 40);
    }
  });
  return {
    results,
    /** Calls made so far. */
    count: () => results.length,
    failures: () => results.filter((r) => !r.ok),
    async stop() {
      running = false;
      await Promise.all(loops);
      return results;
    },
  };
}

export { timed };
