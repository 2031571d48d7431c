import { routeRemoteModules } from '../../shared/bus/remote-routing.ts';
import { serviceCredentials } from '../../shared/bus/service-credentials.ts';
import type { AnyContract, InputOf, Op, OutputOf } from '../../shared/bus/contract.ts';
import { systemContext } from '../../shared/bus/context.ts';
import type { Config } from '../../shared/config/config.ts';
import { dataDirOwner, lockDataDir } from '../../shared/db/data-dir-lock.ts';
import { hostModules } from '../../shared/modules/platform.ts';
import type { Logger } from '../../shared/observability/logger.ts';
import { allModules } from '../modules.ts';
import { startUpFailure, usesEmbeddedDatabase } from '../start-up.ts';
import { AdminApi, adminCredentials } from './admin-api.ts';
import { fail } from './command-line.ts';

/** The operator at the console acts as an admin. */
const operator = { userId: '00000000-0000-0000-0000-000000000000', role: 'admin' };

/** Where an operator command's calls go: this process hosting the modules, a server's admin API, or split services. */
export interface OperatorChannel {
  /** 'local', 'admin-api' or 'service'. */
  kind: 'local' | 'admin-api' | 'service';
  call<O extends Op>(op: O, input: InputOf<O>): Promise<OutputOf<O>>;
  close(): Promise<void>;
}

/**
 * Chooses where an operator command runs:
 * - `--remote <url>`: the admin API of the server at url (a monolith or a gateway);
 * - `service`: the modules' services over the internal bus (split: discovery and INTERNAL_SERVICE_SECRET);
 * - a live server holding DATA_DIR (embedded database): its admin API, at the URL its lock file records;
 * - else the modules hosted in this process, on their databases, holding DATA_DIR meanwhile.
 * The admin API authenticates with ADMIN_TOKEN, or ADMIN_EMAIL + ADMIN_PASSWORD.
 * Any failure to get there is one line and exit 1.
 */
export async function openOperatorChannel(options: {
  command: string;
  config: Config;
  log: Logger;
  remote?: string | undefined;
  service?: readonly AnyContract[] | undefined;
}): Promise<OperatorChannel> {
  const { command, config, log } = options;
  if (options.remote) return adminApiChannel(command, options.remote);
  const ctx = () => systemContext({ caller: operator });
  if (options.service) {
    const contracts = options.service;
    const host = await hostModules({
      config,
      log,
      service: command,
      modules: [],
      connect: (platform) =>
        routeRemoteModules({
          platform,
          credentials: serviceCredentials({ secret: config.INTERNAL_SERVICE_SECRET, service: command }),
          contracts,
        }),
    }).catch((error: unknown) => fail(command, startUpFailure(error)));
    return { kind: 'service', call: (op, input) => host.platform.bus.call(op, input, ctx()), close: () => host.stop() };
  }
  const embedded = usesEmbeddedDatabase(
    config,
    allModules.map((m) => m.contract.name),
  );
  const owner = embedded ? dataDirOwner(config.DATA_DIR) : undefined;
  if (owner?.url) {
    const channel = adminApiChannel(command, owner.url);
    process.stderr.write(
      `${command}: DATA_DIR ${config.DATA_DIR} is held by the ${owner.role} at ${owner.url} (pid ${owner.pid}); using its admin API\n`,
    );
    return channel;
  }
  let lock: ReturnType<typeof lockDataDir> | undefined;
  try {
    lock = embedded ? lockDataDir(config.DATA_DIR, command) : undefined;
  } catch (error) {
    return fail(command, startUpFailure(error));
  }
  const host = await hostModules({ config, log, service: command, modules: allModules }).catch((error: unknown) =>
    fail(command, startUpFailure(error)),
  );
  return {
    kind: 'local',
    call: (op, input) => host.platform.bus.call(op, input, ctx()),
    close: async () => {
      await host.stop();
      lock?.release();
    },
  };
}

function adminApiChannel(command: string, url: string): OperatorChannel {
  const credentials = adminCredentials();
  if (!credentials)
    fail(
      command,
      `the server at ${url} is reached through its admin API: set ADMIN_TOKEN (an admin's access token), or ADMIN_EMAIL and ADMIN_PASSWORD`,
    );
  const api = new AdminApi(url.replace(/\/+$/, ''), credentials);
  return { kind: 'admin-api', call: (op, input) => api.call(op, input), close: async () => {} };
}
