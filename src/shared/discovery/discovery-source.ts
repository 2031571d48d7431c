/** One running copy of a service, reachable over HTTP. */
export interface Instance {
  /** Stable identity, unique within a module (for static and DNS sources, the url). */
  id: string;
  /** Base url without a trailing slash, e.g. `http://127.0.0.1:4001`. */
  url: string;
  /** Its build version (buildInfo().version), when its source knows it (the Redis registry does). */
  version?: string;
}

/** Called with the full new list whenever a source's membership changes. */
export type InstancesListener = (instances: readonly Instance[]) => void;

/**
 * Where a module's instances come from (static list, DNS or the Redis registry).
 * `instances()` is synchronous: sources cache the last list they saw.
 */
export interface DiscoverySource {
  /** Loads the first list (rejects if it cannot) and starts watching for changes. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The current instances, sorted by id. */
  instances(): readonly Instance[];
  /** Calls `listener` after every membership change; returns the unsubscribe function. */
  subscribe(listener: InstancesListener): () => void;
}

/** The slice of a pino logger that discovery uses. */
export interface DiscoveryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}
