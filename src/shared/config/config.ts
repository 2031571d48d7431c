import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseHostList } from '../cache/redis-client.ts';
import { parsePostgresUrl } from '../db/postgres-url.ts';
import { ConfigError, envSettings } from './env-settings.ts';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** A postgres:// URL naming one host or several (`postgres://u@h1:5432,h2:5433/db`), which z.url() rejects. */
const postgresUrl = z
  .string()
  .refine(
    (v) => parsePostgresUrl(v) !== undefined,
    'must be a postgres:// URL (several hosts allowed: postgres://h1:5432,h2:5433/db)',
  );

/** "host:port,host:port" (Sentinels, Cluster seed nodes). */
const hostList = z
  .string()
  .transform(
    (v, ctx) => parseHostList(v) ?? (ctx.addIssue({ code: 'custom', message: 'must be host:port,host:port' }), z.NEVER),
  );

const DEV_JWT_SECRET = 'shareloop-development-secret-change-me-0000';
const DEV_INTERNAL_SECRET = 'shareloop-internal-development-secret-0000';

/** The platform's environment, validated once at startup. */
/** The committed flag file (safe defaults), wherever the process was started from. */
const DEFAULT_FLAGS_FILE = fileURLToPath(new URL('../../../flags/flags.json', import.meta.url));

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATABASE_URL: postgresUrl.optional(),
    // Read replicas and failover: stale-tolerant reads go to a replica less than the lag bound behind.
    DATABASE_READ_URLS: z.string().pipe(csv).pipe(z.array(postgresUrl)).default([]),
    DATABASE_MAX_REPLICA_LAG_MS: z.coerce.number().int().min(0).default(1_000),
    DATABASE_PROBE_MS: z.coerce.number().int().min(20).max(10_000).default(250),
    DATABASE_READ_YOUR_WRITES_MS: z.coerce.number().int().min(0).default(5_000),
    REDIS_URL: z.url().optional(),
    // Redis high availability: a Sentinel-managed master, or a Redis Cluster (instead of REDIS_URL).
    REDIS_SENTINELS: hostList.default([]),
    REDIS_SENTINEL_NAME: z.string().min(1).default('mymaster'),
    REDIS_CLUSTER_NODES: hostList.default([]),
    // The cache over several independent nodes by consistent hashing (instead of the shared Redis).
    CACHE_NODES: z.string().pipe(csv).pipe(z.array(z.url())).default([]),
    /** Namespace of every Redis key of this deployment (several can share one Redis). */
    REDIS_KEY_PREFIX: z.string().max(64).default('shareloop:'),
    DATA_DIR: z.string().min(1).default('.data'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: bool.default(false),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_ISSUER: z.string().min(1).default('shareloop'),
    JWT_AUDIENCE: z.string().min(1).default('shareloop-api'),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
    REFRESH_TOKEN_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(30 * 86_400),
    CORS_ORIGINS: csv.default([]),
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(64 * 1024),
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    ADMIN_EMAIL: z.email().optional(),
    ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
    TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
    // Requests a minute (bursts of the same size); 0 turns a limit off.
    RATE_LIMIT_AUTH_PER_MINUTE: z.coerce.number().int().min(0).default(10),
    RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().min(0).default(60),
    RATE_LIMIT_GLOBAL_PER_MINUTE: z.coerce.number().int().min(0).default(600),
    // Events: transport (default per runtime), retries before dead-lettering, stream retention.
    EVENT_TRANSPORT: z.enum(['in-process', 'redis-streams']).optional(),
    EVENT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
    EVENT_RETRY_DELAY_MS: z.coerce.number().int().min(10).default(1_000),
    // Aggregates a consumer applies at once; the events of one aggregate are always applied in order.
    EVENT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
    EVENT_STREAM_MAXLEN: z.coerce.number().int().min(1000).default(1_000_000),
    // Redis replicas that must hold an event append before it counts as sent (WAIT; Sentinel or single Redis).
    EVENT_STREAM_MIN_REPLICAS: z.coerce.number().int().min(0).max(10).default(0),
    // Relays wait on LISTEN/NOTIFY; polling the outbox is only their backstop.
    OUTBOX_POLL_MS: z.coerce.number().int().min(10).default(30_000),
    DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
    // Split mode: service-to-service calls.
    INTERNAL_SERVICE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    MODULES: csv.default([]),
    ADVERTISE_URL: z.url().optional(),
    LB_STRATEGY: z.enum(['round_robin', 'least_outstanding', 'consistent_hash']).default('least_outstanding'),
    BUS_TIMEOUT_MS: z.coerce.number().int().min(10).default(3_000),
    BUS_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
    BREAKER_THRESHOLD: z.coerce.number().int().min(1).default(5),
    BREAKER_HALF_OPEN_MS: z.coerce.number().int().min(100).default(5_000),
    BULKHEAD_LIMIT: z.coerce.number().int().min(1).default(256),
    BULKHEAD_QUEUE: z.coerce.number().int().min(0).default(512),
    HEALTH_INTERVAL_MS: z.coerce.number().int().min(100).default(2_000),
    HEALTH_TIMEOUT_MS: z.coerce.number().int().min(50).default(1_000),
    DISCOVERY_TTL_MS: z.coerce.number().int().min(500).default(10_000),
    // Security: opt-in to the built-in development INTERNAL_SERVICE_SECRET, /metrics token,
    // live notification streams per user and process, failed logins per account before a pause.
    SHARELOOP_DEV_SECRETS: bool.default(false),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    NOTIFICATION_STREAMS_PER_USER: z.coerce.number().int().min(1).max(100).default(5),
    LOGIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(0).default(5),
    // Feature flags: a flagd-format JSON file the edge evaluates per request (reloaded on change).
    FLAGS_FILE: z.string().min(1).default(DEFAULT_FLAGS_FILE),
  })
  .transform((c, ctx) => {
    for (const key of ['JWT_SECRET', 'INTERNAL_SERVICE_SECRET'] as const) {
      if (c.NODE_ENV === 'production' && !c[key])
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required in production' });
    }
    return {
      ...c,
      JWT_SECRET: c.JWT_SECRET ?? DEV_JWT_SECRET,
      INTERNAL_SERVICE_SECRET: c.INTERNAL_SERVICE_SECRET ?? DEV_INTERNAL_SECRET,
      jwtSecretIsDefault: !c.JWT_SECRET,
      internalSecretIsDefault: !c.INTERNAL_SERVICE_SECRET,
    };
  });

export type Config = z.output<typeof configSchema>;

/** Parses an environment; throws ConfigError with one line naming the first bad variable. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  return envSettings(configSchema, env);
}

/** Loads the process configuration, or prints one clear line and exits. */
export function loadConfig(): Config {
  try {
    return parseConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}

/**
 * Service processes (and the gateway) refuse the built-in development INTERNAL_SERVICE_SECRET:
 * anyone who knows it can forge internal calls as any user. SHARELOOP_DEV_SECRETS=1 allows it
 * on a developer's machine. Prints one line and exits otherwise.
 */
export function requireDeploymentSecret(config: Config): void {
  if (!config.internalSecretIsDefault || config.SHARELOOP_DEV_SECRETS) return;
  process.stderr.write(
    'Invalid configuration: INTERNAL_SERVICE_SECRET is not set (a random value of at least 32 characters shared by every process); set SHARELOOP_DEV_SECRETS=1 to use the development secret on a developer machine\n',
  );
  process.exit(78);
}

/** The read replica URLs for one module: <MODULE>_DATABASE_READ_URLS, falling back to DATABASE_READ_URLS. */
export function moduleReadUrls(module: string, config: Config, env = process.env): string[] {
  const own = env[`${module.toUpperCase()}_DATABASE_READ_URLS`];
  if (!own) return config.DATABASE_READ_URLS;
  const urls = own
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = urls.find((url) => !parsePostgresUrl(url));
  if (bad !== undefined)
    throw new ConfigError(
      `Invalid configuration: ${module.toUpperCase()}_DATABASE_READ_URLS must list postgres:// URLs`,
    );
  return urls;
}

/** The database URL for one module: <MODULE>_DATABASE_URL, falling back to DATABASE_URL. */
export function moduleDatabaseUrl(module: string, config: Config, env = process.env): string | undefined {
  const own = env[`${module.toUpperCase()}_DATABASE_URL`];
  return own && own.length > 0 ? own : config.DATABASE_URL;
}
