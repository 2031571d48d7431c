import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { startSplitTopology, type SplitTopology } from '../../scripts/split-topology.ts';
import { eventually } from '../rentals/support/world.ts';
import { apiClient } from '../support/api-client.ts';
import { testDeploymentEnv, testServers } from '../support/env.ts';
import { createDatabase, freePort } from '../support/services.ts';

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
}

/** An OTLP/HTTP (JSON) trace receiver in the test process. */
function otlpReceiver(spans: ReceivedSpan[]): Server {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const payload = JSON.parse(body) as {
          resourceSpans: {
            resource: { attributes: { key: string; value: { stringValue?: string } }[] };
            scopeSpans: { spans: Omit<ReceivedSpan, 'service'>[] }[];
          }[];
        };
        for (const resource of payload.resourceSpans) {
          const service = resource.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const scope of resource.scopeSpans)
            for (const span of scope.spans)
              spans.push({
                service,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? '',
                name: span.name,
              });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
}

const spans: ReceivedSpan[] = [];
let receiver: Server;
let topology: SplitTopology;

before(async () => {
  const port = await freePort();
  receiver = otlpReceiver(spans);
  await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve));
  const { pgUrl, redisUrl } = testServers();
  const env = {
    ...testDeploymentEnv(),
    DATABASE_URL: await createDatabase(pgUrl),
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'warn',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
  };
  topology = await startSplitTopology({ env, gatewayPort: await freePort() });
});

after(async () => {
  await topology?.stop();
  receiver?.close();
});

test('one trace runs from the gateway through two services to an event consumer, parents linked across processes', async () => {
  const api = apiClient(topology.gatewayUrl);
  const owner = await api.newUser('traced');
  const traceId = randomUUID().replaceAll('-', '');
  const created = await api.request('POST', '/v1/items', {
    token: owner.accessToken,
    headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'idempotency-key': randomUUID() },
    body: {
      title: 'Traced kayak',
      category: 'outdoor',
      dailyPrice: { amount: 900, currency: 'EUR' },
      deposit: { amount: 9000, currency: 'EUR' },
      condition: 'good',
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const trace = await eventually(
    'spans of the gateway, identity, inventory and the catalog consumer',
    async () => {
      const mine = spans.filter((s) => s.traceId === traceId);
      const services = new Set(mine.map((s) => s.service.replace(/-\d+$/, ''))); // inventory-1, inventory-2: instances of inventory
      const consumed = mine.some((s) => s.name === 'consume catalog.projectItemCreated');
      return services.has('gateway') && services.has('identity') && services.has('inventory') && consumed
        ? mine
        : undefined;
    },
    30_000,
  );
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const root = trace.find((s) => s.service === 'gateway' && s.name === 'POST /v1/items');
  assert.ok(root, JSON.stringify(trace.map((s) => `${s.service} ${s.name}`)));
  assert.equal(root.parentSpanId, '00f067aa0ba902b7', 'continues the caller trace');
  for (const [service, name] of [
    ['identity', 'bus identity.validateToken'],
    ['inventory', 'bus inventory.createItem'],
  ] as const) {
    const hop = trace.find((s) => s.service.startsWith(service) && s.name === name);
    assert.ok(hop, `${service} ${name} in ${JSON.stringify(trace.map((s) => `${s.service} ${s.name}`))}`);
    assert.equal(hop.parentSpanId, root.spanId, `${name} is a child of the gateway request`);
  }
  const consumer = trace.find((s) => s.name === 'consume catalog.projectItemCreated')!;
  assert.equal(consumer.service, 'catalog');
  const publisher = byId.get(consumer.parentSpanId);
  assert.ok(publisher, 'the consumer span hangs under a span of the trace');
  assert.match(publisher.service, /^inventory/, 'under the request that published the event');
});
