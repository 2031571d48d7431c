import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfo } from './build-info.ts';
import { scrapedGauge } from './scraped-gauge.ts';

/** One metrics registry per process, with default Node metrics. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  // The Prometheus convention for a build: a constant 1 whose labels join onto any series (group_left).
  const { version, commit } = buildInfo();
  new Gauge({
    name: 'shareloop_build_info',
    help: 'The build this process runs (always 1): its version and commit',
    labelNames: ['version', 'commit'] as const,
    registers: [registry],
  }).set({ version, commit }, 1);
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const busDuration = new Histogram({
    name: 'bus_call_duration_seconds',
    help: 'Bus call duration by operation, transport (local or http) and outcome (ok or the error kind)',
    labelNames: ['op', 'transport', 'outcome'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const breakerState = new Gauge({
    name: 'circuit_breaker_state',
    help: 'Circuit breaker state per call target (0 closed, 1 open, 2 half-open, 3 isolated)',
    labelNames: ['target', 'scope'] as const,
    registers: [registry],
  });
  const breakerTransitions = new Counter({
    name: 'circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes per call target',
    labelNames: ['target', 'scope', 'state'] as const,
    registers: [registry],
  });
  const hopFailures = new Counter({
    name: 'bus_hop_failures_total',
    help: 'Failed attempts of remote bus calls by target and reason',
    labelNames: ['target', 'reason'] as const,
    registers: [registry],
  });
  const eventsConsumed = new Counter({
    name: 'events_consumed_total',
    help: 'Event deliveries by consumer and outcome (applied, duplicate, dead_lettered)',
    labelNames: ['consumer', 'outcome'] as const,
    registers: [registry],
  });
  const eventLag = new Gauge({
    name: 'event_consumer_lag_seconds',
    help: 'Time from an event being published to its consumer applying it (last message)',
    labelNames: ['consumer'] as const,
    registers: [registry],
  });
  const outboxPublished = new Counter({
    name: 'outbox_published_total',
    help: 'Outbox rows relayed to the event transport, by module',
    labelNames: ['module'] as const,
    registers: [registry],
  });
  const eventsPublished = new Counter({
    name: 'events_published_total',
    help: 'Events relayed to the event transport, by event name (business activity)',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  const dbQueries = new Counter({
    name: 'db_queries_total',
    help: 'Statements sent to PostgreSQL (each a round trip, BEGIN and COMMIT included), by database',
    labelNames: ['database'] as const,
    registers: [registry],
  });
  const dbReads = new Counter({
    name: 'db_reads_total',
    help: 'Stale-tolerant reads by database and target (primary, replicaN)',
    labelNames: ['database', 'target'] as const,
    registers: [registry],
  });
  const dbFailovers = new Counter({
    name: 'db_failovers_total',
    help: 'Times the primary of a replicated database was seen to move to another host',
    labelNames: ['database'] as const,
    registers: [registry],
  });
  const dbReplicaLag = new Gauge({
    name: 'db_replica_lag_seconds',
    help: 'How far each read replica is behind its primary (-1: down or unknown)',
    labelNames: ['database', 'replica'] as const,
    registers: [registry],
  });
  // Read at scrape time from every open pool (postgres.js, patched to report its occupancy).
  const dbPoolSources = new Set<
    () => { database: string; pool: string; inUse: number; waiting: number; max: number }[]
  >();
  new Gauge({
    name: 'db_pool_connections',
    help: 'PostgreSQL pool occupancy by database and pool (primary, replicaN): connections in use, queries waiting for one, and the pool size',
    labelNames: ['database', 'pool', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const source of dbPoolSources) {
        for (const { database, pool, inUse, waiting, max } of source()) {
          this.set({ database, pool, state: 'in_use' }, inUse);
          this.set({ database, pool, state: 'waiting' }, waiting);
          this.set({ database, pool, state: 'max' }, max);
        }
      }
    },
  });
  const outboxBacklog = scrapedGauge(
    registry,
    'outbox_backlog',
    'Outbox rows committed but not yet relayed, by module',
    ['module'],
  );
  const outboxOldestAge = scrapedGauge(
    registry,
    'outbox_oldest_unsent_age_seconds',
    'Age of the oldest outbox row not yet relayed (0 when none), by module',
    ['module'],
  );
  const pendingAge = scrapedGauge(
    registry,
    'event_consumer_pending_age_seconds',
    'Age of the oldest event published but not yet applied by the consumer (0 when caught up)',
    ['consumer'],
  );
  const streamPending = scrapedGauge(
    registry,
    'event_stream_pending_entries',
    'Redis Streams entries delivered to a consumer group but not acknowledged, plus those not yet delivered',
    ['consumer', 'state'],
  );
  const deadLetters = scrapedGauge(registry, 'event_dead_letters', 'Dead letters not yet replayed, by consumer', [
    'consumer',
  ]);
  return {
    registry,
    httpDuration,
    busDuration,
    breakerState,
    breakerTransitions,
    hopFailures,
    eventsConsumed,
    eventLag,
    outboxPublished,
    eventsPublished,
    dbQueries,
    outboxBacklog,
    outboxOldestAge,
    pendingAge,
    streamPending,
    deadLetters,
    dbPoolSources,
    dbReads,
    dbFailovers,
    dbReplicaLag,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
