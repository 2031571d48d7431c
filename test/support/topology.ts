import { spawnRuntime, stopAll, waitForReady } from '../../scripts/processes.ts';
import { startSplitTopology } from '../../scripts/split-topology.ts';
import { testDeploymentEnv, testServers } from './env.ts';
import { createDatabase, freePort } from './services.ts';

export { spawnRuntime, stopAll, waitForReady };

/** The ways the platform can be deployed; the end-to-end suite runs against each. */
export const topologies = ['monolith', 'split'] as const;
export type TopologyName = (typeof topologies)[number];

export interface Topology {
  name: TopologyName;
  baseUrl: string;
  /** Environment the processes were started with. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts a topology as real processes on loopback, on a fresh database: the monolith, or
 * the gateway plus one service per module and a second inventory instance; with `only`, split
 * runs just those modules' services (one each) behind the gateway, lighter for a file that
 * reaches a few modules.
 */
export async function startTopology(
  name: TopologyName,
  extraEnv: Record<string, string> = {},
  only?: readonly string[],
): Promise<Topology> {
  const { pgUrl, redisUrl } = testServers();
  const env = {
    ...testDeploymentEnv(),
    DATABASE_URL: await createDatabase(pgUrl),
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const port = await freePort();
  if (name === 'split') {
    const layout = only?.map((module) => ({ name: module, modules: module }));
    const split = await startSplitTopology({ env, gatewayPort: port, ...(layout ? { layout } : {}) });
    return { name, baseUrl: split.gatewayUrl, env, stop: split.stop };
  }
  const child = spawnRuntime('monolith.ts', { ...env, PORT: String(port), HOST: '127.0.0.1' }, { name: 'monolith' });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForReady(`${baseUrl}/readyz`, 30_000, child);
  } catch (error) {
    await stopAll([child]);
    throw error;
  }
  return { name, baseUrl, env, stop: () => stopAll([child]) };
}
