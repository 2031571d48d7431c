import type { Instance, InstancesListener } from './discovery-source.ts';

/** A source's cached membership: replaces the list and tells listeners only when it really changed. */
export class InstanceList {
  private current: readonly Instance[] = [];
  private readonly listeners = new Set<InstancesListener>();

  get(): readonly Instance[] {
    return this.current;
  }

  /** Stores `instances` (deduplicated by id, sorted by id); returns whether membership changed. */
  set(instances: Iterable<Instance>): boolean {
    const byId = new Map<string, Instance>();
    for (const instance of instances)
      byId.set(instance.id, {
        id: instance.id,
        url: instance.url,
        ...(instance.version === undefined ? {} : { version: instance.version }),
      });
    const next = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (sameInstances(this.current, next)) return false;
    this.current = Object.freeze(next);
    for (const listener of this.listeners) listener(this.current);
    return true;
  }

  subscribe(listener: InstancesListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function sameInstances(a: readonly Instance[], b: readonly Instance[]): boolean {
  return (
    a.length === b.length && a.every((x, i) => x.id === b[i]!.id && x.url === b[i]!.url && x.version === b[i]!.version)
  );
}
