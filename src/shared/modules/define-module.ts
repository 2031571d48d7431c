import type { HandlersOf } from '../bus/bus.ts';
import type { AnyContract } from '../bus/contract.ts';
import type { SubscriptionSpec } from '../events/subscription.ts';
import type { EventTables } from '../events/tables.ts';
import type { Platform } from './platform.ts';

/** A bounded context as a runtime hosts it: contract, storage, handlers and lifecycle. */
export interface ModuleDefinition<C extends AnyContract = AnyContract, Deps = unknown> {
  contract: C;
  /** Absolute path of the module's SQL migrations folder, if it owns tables. */
  migrations?: string;
  /** Builds the module's dependencies (database handles, caches, settings). */
  setup(platform: Platform): Promise<Deps>;
  handlers: HandlersOf<C, NoInfer<Deps>>;
  /** The module's outbox, inbox and dead-letter tables (created by its migrations). */
  events?: EventTables;
  /** Reactions to other modules' events, each applied once per message. */
  subscriptions?(deps: NoInfer<Deps>): SubscriptionSpec[];
  /** Background work started after every hosted module is set up. */
  start?(deps: Deps, platform: Platform): Promise<void>;
  /** Stops background work; pools are closed by the platform afterwards. */
  stop?(deps: Deps): Promise<void>;
}

/** Declares a module; the identity function that ties handler types to the contract. */
export function defineModule<C extends AnyContract, Deps>(
  definition: ModuleDefinition<C, Deps>,
): ModuleDefinition<C, Deps> {
  return definition;
}

/** Any module, whatever its contract and dependencies (what runtimes list and host). */
// biome-ignore lint: `any` is deliberate: a list of heterogeneous modules.
export type AnyModule = ModuleDefinition<any, any>;
