/**
 * Redis names of one module's registry: a sorted set of instance ids scored by expiry
 * (epoch ms, Redis server clock), a hash of id → url, and the channel announcing changes.
 */
export function registryKeys(module: string): { members: string; urls: string; channel: string } {
  return { members: `discovery:${module}`, urls: `discovery:${module}:urls`, channel: `discovery:changed:${module}` };
}
