/**
 * The control endpoint of a running `npm run split`, through which `npm run rollout` starts,
 * restarts and stops service processes and finds the topology's Redis. Loopback only; the
 * environment a caller may add to a new process is limited to its version and FAULT_BUS_* test hooks.
 *
 *   GET    /topology                  → { redis: { url, keyPrefix }, processes: [{ name, url, modules, version }] }
 *   POST   /services                  { module, version, env? } → the started process (ready)
 *   POST   /services/:name/restart    → 204 once it is ready again
 *   DELETE /services/:name            → 204 once it has drained and exited
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { stopAll } from './processes.ts';
import type { SplitTopology } from './split-topology.ts';

const ALLOWED_ENV = /^FAULT_BUS_[A-Z_]+$/;

/** Serves the control endpoint of `topology` on 127.0.0.1:`port`. */
export async function serveSplitControl(options: {
  topology: SplitTopology;
  port: number;
  redis: { url: string; keyPrefix: string };
  /** Modules of each process of the layout, by name. */
  modules: Map<string, string>;
  /** The version processes run when started without one. */
  version: string;
}): Promise<Server> {
  const { topology, modules } = options;
  const versions = new Map<string, string>();
  let added = 0;
  const find = (name: string) => topology.processes.find((p) => p.name === name);
  const alive = () => topology.processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://control');
    const [, first, name, action] = url.pathname.split('/');
    if (req.method === 'GET' && first === 'topology') {
      return json(res, 200, {
        redis: options.redis,
        processes: alive().map((p) => ({
          name: p.name,
          url: p.url,
          modules: modules.get(p.name) ?? 'gateway',
          version: versions.get(p.name) ?? options.version,
        })),
      });
    }
    if (req.method === 'POST' && first === 'services' && !name) {
      const body = JSON.parse(await text(req)) as { module?: string; version?: string; env?: Record<string, string> };
      if (!body.module || !/^[a-z]+$/.test(body.module) || !body.version || !/^[\w.+-]+$/.test(body.version))
        return json(res, 400, { error: 'module and version are required' });
      const env = Object.fromEntries(Object.entries(body.env ?? {}).filter(([key]) => ALLOWED_ENV.test(key)));
      const processName = `${body.module}-v${body.version}-${++added}`;
      const started = await topology.addService(processName, body.module, { ...env, SHARELOOP_VERSION: body.version });
      modules.set(processName, body.module);
      versions.set(processName, body.version);
      return json(res, 201, { name: processName, url: started.url, modules: body.module, version: body.version });
    }
    const target = name ? find(name) : undefined;
    if (first === 'services' && !target) return json(res, 404, { error: `no process ${name}` });
    if (req.method === 'POST' && target && action === 'restart') {
      await stopAll([target.child]);
      await topology.restart(target.name);
      return json(res, 204);
    }
    if (req.method === 'DELETE' && target && !action) {
      await stopAll([target.child]);
      return json(res, 204);
    }
    return json(res, 404, { error: 'unknown route' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => json(res, 500, { error: String(error) }));
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, '127.0.0.1', done);
  });
  return server;
}

function json(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

async function text(req: IncomingMessage): Promise<string> {
  let data = '';
  for await (const chunk of req) data += chunk;
  return data || '{}';
}
