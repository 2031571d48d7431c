/**
 * `npm run rollout -- <strategy> <module> [options]` against a running `npm run split` (found
 * through its control endpoint, SPLIT_CONTROL_URL, default http://127.0.0.1:3099):
 *
 *   rolling <module>                       restart every instance of the module, one at a time
 *   blue-green <module> --version V        start V beside the old, switch at once, drain the old
 *   canary <module> --version V [--fault]  CANARY_WEIGHT (default 0.1) of the users to V; the gateway
 *                                          promotes or rolls back; --fault starts V broken (FAULT_BUS_ERROR_RATIO=1)
 *   shadow <module> --version V            mirror SHADOW_SAMPLE (default 0.1) of the queries to V, compared
 *   status [<module>]                      versions running and the rollout plan of each module
 *   clear <module>                         remove the plan: every healthy instance takes calls
 */
import { Redis } from 'ioredis';
import { RolloutStore } from '../src/shared/rollout/rollout-store.ts';
import { controlFleet, readTopology } from './rollout/control-fleet.ts';
import { blueGreen, canary, rolling, shadow, type Say } from './rollout/strategies.ts';

const controlUrl = process.env.SPLIT_CONTROL_URL ?? 'http://127.0.0.1:3099';
const say: Say = (line) => process.stdout.write(`[rollout] ${line}\n`);

function parse(args: string[]) {
  const [strategy, module, ...rest] = args;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag === '--fault') flags.set('fault', '1');
    else if (flag === '--version') flags.set('version', inline ?? rest[++i] ?? '');
    else throw new Error(`unknown option ${rest[i]}`);
  }
  return { strategy, module, version: flags.get('version'), fault: flags.has('fault') };
}

function share(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!(value >= 0 && value <= 1)) throw new Error(`${name} must be between 0 and 1`);
  return value;
}

const { strategy, module, version, fault } = parse(process.argv.slice(2));
const topology = await readTopology(controlUrl);
const redis = new Redis(topology.redis.url, { keyPrefix: topology.redis.keyPrefix, maxRetriesPerRequest: 2 });
const store = new RolloutStore(redis);
const fleet = controlFleet(controlUrl);
const needVersion = () => {
  if (!module) throw new Error(`${strategy} needs a module`);
  if (!version) throw new Error(`${strategy} needs --version (the new version, e.g. 0.2.0)`);
  return { module, version };
};
try {
  switch (strategy) {
    case 'rolling':
      if (!module) throw new Error('rolling needs a module');
      await rolling(fleet, module, say);
      break;
    case 'blue-green':
      await blueGreen({ fleet, store, ...needVersion() }, say);
      break;
    case 'canary': {
      const weight = share('CANARY_WEIGHT', 0.1);
      const env = fault ? { FAULT_BUS_ERROR_RATIO: '1' } : undefined;
      const outcome = await canary({ fleet, store, ...needVersion(), weight, ...(env ? { env } : {}) }, say);
      say(`canary ${outcome}`);
      break;
    }
    case 'shadow':
      await shadow({ fleet, store, ...needVersion(), sample: share('SHADOW_SAMPLE', 0.1) }, say);
      break;
    case 'clear':
      if (!module) throw new Error('clear needs a module');
      await store.clear(module);
      say(`${module}: no plan, every healthy instance takes calls`);
      break;
    case 'status': {
      const modules = [...new Set(topology.processes.flatMap((p) => p.modules.split(',')))].filter(
        (m) => m !== 'gateway' && (!module || m === module),
      );
      await store.read(modules);
      for (const m of modules) {
        const instances = topology.processes.filter((p) => p.modules.split(',').includes(m));
        say(
          `${m}: ${instances.map((p) => `${p.name}@${p.version}`).join(', ')}; plan ${JSON.stringify(store.plan(m) ?? null)}`,
        );
      }
      break;
    }
    default:
      throw new Error(
        'usage: npm run rollout -- rolling|blue-green|canary|shadow|status|clear <module> [--version V] [--fault]',
      );
  }
} catch (error) {
  process.stderr.write(`[rollout] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await redis.quit();
}
