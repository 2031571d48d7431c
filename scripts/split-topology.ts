import { randomBytes } from 'node:crypto';
import { freePort } from '../test/support/services.ts';
import { startHaproxy } from './haproxy.ts';
import { spawnRuntime, stopAll, waitForReady, type RuntimeProcess } from './processes.ts';

/** The split topology: one service process per module, a second inventory, and the gateway. */
export const splitLayout = [
  { name: 'identity', modules: 'identity' },
  { name: 'inventory-1', modules: 'inventory' },
  { name: 'inventory-2', modules: 'inventory' },
  { name: 'payments', modules: 'payments' },
  { name: 'notifications', modules: 'notifications' },
  { name: 'catalog', modules: 'catalog' },
  { name: 'rentals', modules: 'rentals' },
  { name: 'analytics', modules: 'analytics' },
] as const;

export interface SplitTopology {
  /** Where clients go: HAProxy when there are several gateways, else the gateway. */
  gatewayUrl: string;
  processes: RuntimeProcess[];
  /** Starts a process of the topology again (after it died), with its port and environment, and waits until it is ready. */
  restart(name: string): Promise<RuntimeProcess>;
  /** Starts one more service process hosting `modules` on a free port (topology env plus `env`) and waits until it is ready. */
  addService(name: string, modules: string, env?: Record<string, string>): Promise<RuntimeProcess>;
  stop(): Promise<void>;
}

/** The layout with some modules run as several instances (`replicas: { inventory: 3 }` → inventory-1..3). */
export function withReplicas(
  replicas: Record<string, number>,
  layout: readonly { name: string; modules: string }[] = splitLayout,
) {
  const counts = new Map<string, number>();
  for (const entry of layout) counts.set(entry.modules, (counts.get(entry.modules) ?? 0) + 1);
  for (const [module, n] of Object.entries(replicas)) counts.set(module, n);
  return [...counts].flatMap(([modules, n]) =>
    Array.from({ length: n }, (_, i) => ({ name: n > 1 ? `${modules}-${i + 1}` : modules, modules })),
  );
}

/**
 * Starts every service of the layout on its own free port (they register in Redis), waits
 * until each is ready, then starts the gateway on gatewayPort. Without an INTERNAL_SERVICE_SECRET
 * in env, the processes share a random one made for this run (never the development secret).
 */
export async function startSplitTopology(options: {
  env: Record<string, string>;
  gatewayPort: number;
  inherit?: boolean;
  layout?: readonly { name: string; modules: string }[];
  /** Gateways to run; with more than one, HAProxy listens on gatewayPort in front of them (each gateway on a free port). */
  gateways?: number;
  /** How long each process may take to get ready (default 60 s; more on a loaded machine). */
  readyTimeoutMs?: number;
}): Promise<SplitTopology> {
  const readyMs = options.readyTimeoutMs ?? 60_000;
  const env = {
    INTERNAL_SERVICE_SECRET: process.env.INTERNAL_SERVICE_SECRET || randomBytes(24).toString('hex'),
    ...options.env,
  };
  const processes: RuntimeProcess[] = [];
  const starters = new Map<string, () => RuntimeProcess>();
  const stop = () => stopAll([...processes].reverse().map((p) => p.child));
  const start = (name: string, entry: string, env: Record<string, string>, url: string) => {
    const launch = () => ({
      name,
      child: spawnRuntime(entry, env, { name, ...(options.inherit ? { inherit: true } : {}) }),
      url,
    });
    starters.set(name, launch);
    const started = launch();
    processes.push(started);
    return started;
  };
  const startService = async (name: string, modules: string, extra: Record<string, string> = {}) => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    return start(
      name,
      'service.ts',
      {
        ...env,
        ...extra,
        SERVICE_NAME: name,
        MODULES: modules,
        PORT: String(port),
        HOST: '127.0.0.1',
        ADVERTISE_URL: url,
      },
      url,
    );
  };
  try {
    const services = await Promise.all(
      (options.layout ?? splitLayout).map(({ name, modules }) => startService(name, modules)),
    );
    await Promise.all(services.map((s) => waitForReady(`${s.url}/readyz`, readyMs, s.child)));
    const count = options.gateways ?? 1;
    const ports =
      count > 1 ? await Promise.all(Array.from({ length: count }, () => freePort())) : [options.gatewayPort];
    const gateways = ports.map((port, i) => {
      const name = count > 1 ? `gateway-${i + 1}` : 'gateway';
      return start(name, 'gateway.ts', { ...env, PORT: String(port), SERVICE_NAME: name }, `http://127.0.0.1:${port}`);
    });
    await Promise.all(gateways.map((g) => waitForReady(`${g.url}/readyz`, readyMs, g.child)));
    let gatewayUrl = gateways[0]!.url;
    if (count > 1) {
      const balancer = startHaproxy(options.gatewayPort, gateways);
      processes.push(balancer);
      gatewayUrl = balancer.url;
      await waitForReady(`${gatewayUrl}/readyz`, 30_000, balancer.child);
    }
    const restart = async (name: string) => {
      const launch = starters.get(name);
      if (!launch) throw new Error(`no process ${name} in this topology`);
      const index = processes.findIndex((p) => p.name === name);
      const again = launch();
      processes[index] = again;
      await waitForReady(`${again.url}/readyz`, 60_000, again.child);
      return again;
    };
    const addService = async (name: string, modules: string, extra: Record<string, string> = {}) => {
      if (starters.has(name)) throw new Error(`a process named ${name} exists already`);
      const added = await startService(name, modules, extra);
      await waitForReady(`${added.url}/readyz`, 60_000, added.child);
      return added;
    };
    return { gatewayUrl, processes, restart, addService, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
