import { createLogger } from '../../observability/logger.ts';
import { createMetrics } from '../../observability/metrics.ts';
import { type App, createApp } from '../app.ts';

/** An app as the runtimes build it, silent, for tests of what is mounted on it. */
export function testApp(): App {
  return createApp({
    name: 'test',
    log: createLogger({ level: 'silent', pretty: false, name: 'test' }),
    metrics: createMetrics('test'),
    bodyLimitBytes: 65_536,
    corsOrigins: [],
    readiness: async () => ({}),
  });
}
