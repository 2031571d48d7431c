import { randomBytes } from 'node:crypto';
import { freePort } from '../test/support/services.ts';
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
  gatewayUrl: string;
  processes: RuntimeProcess[];
  stop(): Promise<void>;
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
}): Promise<SplitTopology> {
  const env = { INTERNAL_SERVICE_SECRET: process.env.INTERNAL_SERVICE_SECRET || randomBytes(24).toString('hex'), ...options.env };
  const processes: RuntimeProcess[] = [];
  const stop = () => stopAll([...processes].reverse().map((p) => p.child));
  try {
    const services = await Promise.all(
      (options.layout ?? splitLayout).map(async ({ name, modules }) => {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const serviceEnv = { ...env, SERVICE_NAME: name, MODULES: modules, PORT: String(port), HOST: '127.0.0.1', ADVERTISE_URL: url };
        const child = spawnRuntime('service.ts', serviceEnv, { name, ...(options.inherit ? { inherit: true } : {}) });
        const process = { name, child, url };
        processes.push(process);
        return process;
      }),
    );
    await Promise.all(services.map((s) => waitForReady(`${s.url}/readyz`, 60_000, s.child)));
    const gatewayUrl = `http://127.0.0.1:${options.gatewayPort}`;
    const child = spawnRuntime('gateway.ts', { ...env, PORT: String(options.gatewayPort) }, { name: 'gateway', ...(options.inherit ? { inherit: true } : {}) });
    processes.push({ name: 'gateway', child, url: gatewayUrl });
    await waitForReady(`${gatewayUrl}/readyz`, 60_000, child);
    return { gatewayUrl, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
