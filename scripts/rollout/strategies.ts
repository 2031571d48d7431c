import type { RolloutPlan } from '../../src/shared/rollout/rollout-plan.ts';
import type { RolloutStore } from '../../src/shared/rollout/rollout-store.ts';

/** One running service process of a module, with the build version it reports. */
export interface FleetInstance {
  name: string;
  url: string;
  version: string;
}

/** The processes of a running split topology that a rollout starts and stops. */
export interface Fleet {
  /** The running instances hosting `module`. */
  list(module: string): Promise<FleetInstance[]>;
  /** Starts one more instance of `module` at `version` (extra env: e.g. a FAULT_* switch) and waits until it is ready. */
  start(module: string, version: string, env?: Record<string, string>): Promise<FleetInstance>;
  /** Stops an instance gracefully (it leaves discovery, refuses new calls, drains) and waits until it has exited. */
  stop(name: string): Promise<void>;
  /** Stops an instance gracefully, starts it again with its own port and environment, and waits until it is ready. */
  restart(name: string): Promise<void>;
}

export type Say = (line: string) => void;

/** Time for every caller to see a plan change (pub/sub, with the backstop re-read) before the old instances go. */
const SWITCH_SETTLE_MS = 1_000;

/** Rolling: restarts every instance of `module`, one at a time, each ready before the next goes. */
export async function rolling(fleet: Fleet, module: string, say: Say): Promise<void> {
  const instances = await fleet.list(module);
  if (instances.length < 2) say(`only ${instances.length} instance of ${module}: calls fail while it restarts`);
  for (const instance of instances) {
    say(`restarting ${instance.name}`);
    await fleet.restart(instance.name);
    // Ready comes just before the instance registers: let callers see it before the next one goes.
    await new Promise((done) => setTimeout(done, SWITCH_SETTLE_MS));
  }
  say(`${module}: ${instances.length} instances restarted`);
}

/**
 * Blue-green: starts as many instances of `version` as `module` has now (checked ready), switches
 * every caller to them at once (a pinned plan), then stops the old ones, which drain.
 */
export async function blueGreen(
  options: { fleet: Fleet; store: RolloutStore; module: string; version: string; settleMs?: number },
  say: Say,
): Promise<{ started: FleetInstance[]; stopped: FleetInstance[] }> {
  const { fleet, store, module, version } = options;
  const blue = (await fleet.list(module)).filter((i) => i.version !== version);
  if (blue.length === 0) throw new Error(`no instance of ${module} runs another version than ${version}`);
  say(`starting ${blue.length} instance(s) of ${module} ${version} beside ${describe(blue)}`);
  const green = await Promise.all(blue.map(() => fleet.start(module, version)));
  await checkReady(green);
  say(`green ready: ${describe(green)}; switching ${module} to ${version}`);
  await store.set(module, { mode: 'pinned', version, reason: 'blue-green' });
  await new Promise((done) => setTimeout(done, options.settleMs ?? SWITCH_SETTLE_MS));
  say(`draining blue: ${blue.map((i) => i.name).join(', ')}`);
  await Promise.all(blue.map((i) => fleet.stop(i.name)));
  say(`${module} now runs ${version} only`);
  return { started: green, stopped: blue };
}

/**
 * Canary: starts one instance of `version`, sends `weight` of the users to it and waits for the
 * callers' verdict (promoted or rolled back, see CanaryJudge). Promoted: the old instances are
 * replaced by new ones; rolled back: the canary is stopped.
 */
export async function canary(
  options: {
    fleet: Fleet;
    store: RolloutStore;
    module: string;
    version: string;
    weight: number;
    env?: Record<string, string>;
    timeoutMs?: number;
  },
  say: Say,
): Promise<'promoted' | 'rolled-back'> {
  const { fleet, store, module, version, weight } = options;
  const stable = (await fleet.list(module)).filter((i) => i.version !== version);
  const stableVersion = stable[0]?.version;
  if (!stableVersion) throw new Error(`no stable instance of ${module} to compare the canary with`);
  const instance = await fleet.start(module, version, options.env);
  await checkReady([instance]);
  const plan = await store.set(module, { mode: 'canary', stable: stableVersion, canary: version, weight });
  say(`canary ${instance.name} (${version}) takes ${Math.round(weight * 100)} % of the users; waiting for the verdict`);
  const decided = await waitForDecision(store, module, plan.id, options.timeoutMs ?? 10 * 60_000);
  if (decided.mode === 'pinned' && decided.version === version) {
    say(`promoted: replacing ${describe(stable)} with ${version}`);
    for (const old of stable) {
      await fleet.start(module, version, options.env);
      await fleet.stop(old.name);
    }
    return 'promoted';
  }
  say(`rolled back to ${stableVersion}: stopping ${instance.name}`);
  await fleet.stop(instance.name);
  return 'rolled-back';
}

/** Shadow: starts one instance of `version` and mirrors `sample` of the module's queries to it. */
export async function shadow(
  options: {
    fleet: Fleet;
    store: RolloutStore;
    module: string;
    version: string;
    sample: number;
    env?: Record<string, string>;
  },
  say: Say,
): Promise<FleetInstance> {
  const { fleet, store, module, version, sample } = options;
  const stableVersion = (await fleet.list(module)).find((i) => i.version !== version)?.version;
  if (!stableVersion) throw new Error(`no stable instance of ${module} to compare the shadow with`);
  const instance = await fleet.start(module, version, options.env);
  await checkReady([instance]);
  await store.set(module, { mode: 'shadow', stable: stableVersion, shadow: version, sample });
  say(`shadow ${instance.name} (${version}) gets ${Math.round(sample * 100)} % of ${module}'s queries, compared`);
  return instance;
}

async function checkReady(instances: readonly FleetInstance[]): Promise<void> {
  for (const instance of instances) {
    const response = await fetch(`${instance.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${instance.name} is not ready (HTTP ${response.status})`);
  }
}

async function waitForDecision(
  store: RolloutStore,
  module: string,
  planId: string,
  timeoutMs: number,
): Promise<RolloutPlan> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    await store.read([module]);
    const plan = store.plan(module);
    if (!plan || plan.id !== planId) {
      if (!plan) throw new Error(`the plan of ${module} was removed while the canary ran`);
      return plan;
    }
    if (Date.now() > until) throw new Error(`no verdict on the canary of ${module} after ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

const describe = (instances: readonly FleetInstance[]) =>
  instances.map((i) => `${i.name} ${i.version} (${i.url})`).join(', ');
