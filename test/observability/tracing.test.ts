import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { Bus } from '../../src/shared/bus/bus.ts';
import { defineContract, op } from '../../src/shared/bus/contract.ts';
import { systemContext } from '../../src/shared/bus/context.ts';
import { startTracing } from '../../src/shared/observability/tracing.ts';
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
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
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
                kind: span.kind,
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
let endpoint: string;

before(async () => {
  const port = await freePort();
  receiver = otlpReceiver(spans);
  await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${port}`;
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
    'spans of the gateway (its request ended), identity, inventory and the catalog consumer',
    async () => {
      const mine = spans.filter((s) => s.traceId === traceId);
      const services = new Set(mine.map((s) => s.service.replace(/-\d+$/, ''))); // inventory-1, inventory-2: instances of inventory
      const consumed = mine.some((s) => s.name === 'consume catalog.projectItemCreated');
      // The root span is exported when the response ends, which can be after the event was consumed.
      const answered = mine.some((s) => s.service === 'gateway' && s.name === 'POST /v1/items');
      return services.has('identity') && services.has('inventory') && consumed && answered ? mine : undefined;
    },
    30_000,
  );
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const root = trace.find((s) => s.service === 'gateway' && s.name === 'POST /v1/items');
  assert.ok(root, JSON.stringify(trace.map((s) => `${s.service} ${s.name}`)));
  assert.equal(root.parentSpanId, '00f067aa0ba902b7', 'continues the caller trace');
  const names = JSON.stringify(trace.map((s) => `${s.service} ${s.name}`));
  /** The span named `name` in a service whose name starts with `service`. */
  const find = (service: string, name: string) => {
    const span = trace.find((s) => s.service.startsWith(service) && s.name === name);
    assert.ok(span, `${service} ${name} in ${names}`);
    return span;
  };
  for (const [service, op] of [
    ['identity', 'identity.validateToken'],
    ['inventory', 'inventory.createItem'],
  ] as const) {
    const client = find('gateway', `call ${op}`);
    assert.equal(client.kind, 3, `call ${op} is a client span`);
    assert.equal(client.parentSpanId, root.spanId, `call ${op} is a child of the gateway request`);
    const hop = find(service, `bus ${op}`);
    assert.equal(hop.parentSpanId, client.spanId, `bus ${op} is a child of the gateway's client span`);
  }
  const hop = find('inventory', 'bus inventory.createItem');
  const write = trace.find((s) => s.name === 'db transaction' && s.parentSpanId === hop.spanId);
  assert.ok(write, `a db transaction under bus inventory.createItem in ${names}`);
  assert.match(write.service, /^inventory/);
  const publish = find('inventory', 'publish inventory.itemCreated');
  assert.equal(publish.kind, 4, 'publish is a producer span');
  assert.equal(publish.parentSpanId, hop.spanId, 'published by the hop that created the item');
  const consumer = find('catalog', 'consume catalog.projectItemCreated');
  assert.equal(consumer.kind, 5);
  assert.equal(consumer.parentSpanId, publish.spanId, "the consumer hangs under the envelope's publish span");
  await eventually(
    'the consumer transaction span',
    async () => spans.some((s) => s.name === 'db transaction' && s.parentSpanId === consumer.spanId) || undefined,
    10_000,
  );
  assert.ok(byId.get(hop.parentSpanId), 'the hop hangs under a span of the trace');
});

test('an in-process bus call is a span named by its op, and calls it makes hang under it', async () => {
  startTracing('bus-test', { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
  const demo = defineContract({
    name: 'demo',
    version: 1,
    errors: { refused: 'conflict' },
    ops: {
      outer: op({ kind: 'query', internal: true, summary: 'Calls inner.', input: z.object({}), output: z.number() }),
      inner: op({
        kind: 'query',
        internal: true,
        summary: 'Answers or refuses.',
        input: z.object({ fail: z.boolean() }),
        output: z.number(),
      }),
    },
  });
  const bus = new Bus();
  bus.serve(
    demo,
    {
      outer: async (_input, ctx) => ctx.bus.call(demo.ops.inner, { fail: false }, ctx),
      inner: async (input) => {
        if (input.fail) throw demo.error('refused', 'No.');
        return 42;
      },
    },
    {},
  );
  const ctx = systemContext();
  assert.equal(await bus.call(demo.ops.outer, {}, ctx), 42);
  await assert.rejects(bus.call(demo.ops.inner, { fail: true }, ctx), /No\./);
  const mine = await eventually(
    'the three call spans',
    async () => {
      const found = spans.filter((s) => s.traceId === ctx.trace.traceId);
      return found.length >= 3 ? found : undefined;
    },
    10_000,
  );
  const outer = mine.find((s) => s.name === 'call demo.outer');
  assert.ok(outer);
  assert.equal(outer.kind, 1, 'a local call is an internal span');
  assert.equal(outer.parentSpanId, ctx.trace.spanId);
  const inner = mine.filter((s) => s.name === 'call demo.inner');
  assert.equal(inner.length, 2);
  assert.ok(
    inner.some((s) => s.parentSpanId === outer.spanId),
    'the nested call hangs under the outer one',
  );
  assert.ok(
    inner.some((s) => s.parentSpanId === ctx.trace.spanId),
    'the refused call is a sibling of outer',
  );
});
