import type { Fleet, FleetInstance } from './strategies.ts';

/** What the control endpoint of `npm run split` says about the topology. */
export interface SplitTopologyView {
  redis: { url: string; keyPrefix: string };
  processes: (FleetInstance & { modules: string })[];
}

/** Reads the topology from the control endpoint of a running `npm run split`. */
export async function readTopology(controlUrl: string): Promise<SplitTopologyView> {
  return (await call(controlUrl, 'GET', '/topology')) as SplitTopologyView;
}

/** The processes of a running `npm run split`, started and stopped through its control endpoint. */
export function controlFleet(controlUrl: string): Fleet {
  return {
    async list(module) {
      const topology = await readTopology(controlUrl);
      return topology.processes.filter((p) => p.modules.split(',').includes(module));
    },
    async start(module, version, env) {
      return (await call(controlUrl, 'POST', '/services', { module, version, env })) as FleetInstance;
    },
    async stop(name) {
      await call(controlUrl, 'DELETE', `/services/${encodeURIComponent(name)}`);
    },
    async restart(name) {
      await call(controlUrl, 'POST', `/services/${encodeURIComponent(name)}/restart`);
    },
  };
}

async function call(controlUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(controlUrl + path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (error) {
    throw new Error(
      `cannot reach the split control endpoint at ${controlUrl} (is \`npm run split\` running?): ${String(error)}`,
    );
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}
