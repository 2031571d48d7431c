import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One metrics registry per process, with default Node metrics. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const busDuration = new Histogram({
    name: 'bus_call_duration_seconds',
    help: 'Bus call duration by operation, transport and outcome',
    labelNames: ['op', 'transport', 'outcome'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  return { registry, httpDuration, busDuration };
}

export type Metrics = ReturnType<typeof createMetrics>;
