/**
 * Service discovery for the HTTP bus transport: where a module's instances are
 * (static list, DNS or the Redis registry), which of them are healthy, and which one
 * a request goes to.
 */
export type { DiscoveryLog, DiscoverySource, Instance, InstancesListener } from './discovery-source.ts';
export { discoveryFromConfig, type DiscoveryConfigOptions } from './discovery-from-config.ts';
export { discoveryEnvNames } from './env-names.ts';
export { StaticSource } from './static-source.ts';
export { DnsSource, type DnsSourceOptions } from './dns-source.ts';
export { RedisRegistry, type RedisRegistryOptions } from './redis-registry.ts';
export { registerInstance, type RegisterInstanceOptions, type Registration } from './register-instance.ts';
export {
  InstancePool,
  UNKNOWN_VERSION,
  type BalancingStrategy,
  type InstancePoolOptions,
  type InstanceStatus,
} from './instance-pool.ts';
