import type { RedisClient } from '../cache/redis-client.ts';
import type { DiscoveryLog, DiscoverySource } from './discovery-source.ts';
import { DnsSource } from './dns-source.ts';
import { discoveryEnvNames } from './env-names.ts';
import { RedisRegistry } from './redis-registry.ts';
import { StaticSource } from './static-source.ts';

/** Options of {@link discoveryFromConfig}. */
export interface DiscoveryConfigOptions {
  /** The module whose instances to find, e.g. `inventory`. */
  module: string;
  env: Record<string, string | undefined>;
  /** Enables the Redis registry when no variable is set. */
  redis?: RedisClient | undefined;
  log?: DiscoveryLog;
  /** How often DNS is resolved again, or the registry re-read as a backstop; default 5 s. */
  refreshMs?: number;
}

/**
 * Picks where a module's instances come from: `<MODULE>_URLS` (static list), else
 * `<MODULE>_DNS` (name:port, resolved periodically), else the Redis registry.
 * Throws, naming the variables, when none is available. The source is not started.
 */
export function discoveryFromConfig(options: DiscoveryConfigOptions): DiscoverySource {
  const { module, env, redis, log, refreshMs } = options;
  const names = discoveryEnvNames(module);
  const urls = env[names.urls]?.trim();
  const dns = env[names.dns]?.trim();
  if (urls) {
    const source = StaticSource.parse(urls, names.urls);
    log?.info(
      { module, source: 'static', urls: source.instances().map((i) => i.url) },
      'discovery: static instance list',
    );
    return source;
  }
  if (dns) {
    log?.info({ module, source: 'dns', [names.dns]: dns }, 'discovery: DNS');
    return new DnsSource({ target: dns, refreshMs, log });
  }
  if (redis) {
    log?.info({ module, source: 'redis' }, 'discovery: Redis registry');
    return new RedisRegistry({ redis, module, refreshMs, log });
  }
  throw new Error(
    `No discovery configured for module "${module}": set ${names.urls} (comma-separated urls) or ${names.dns} (name:port), or configure REDIS_URL for the Redis registry`,
  );
}
