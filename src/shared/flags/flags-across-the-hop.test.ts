import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { Bus } from '../bus/bus.ts';
import { defineContract, op } from '../bus/contract.ts';
import { HttpTransport } from '../bus/http-transport.ts';
import { mountInternalBus } from '../bus/internal-endpoint.ts';
import { serviceCredentials } from '../bus/service-credentials.ts';
import { mountContract } from '../http/contract-routes.ts';
import { listen, type Server } from '../http/serve.ts';
import { testApp } from '../http/testing/test-app.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { TargetPolicy } from '../resilience/target-policy.ts';
import { type EdgeFlags, openEdgeFlags } from './edge-flags.ts';
import type { EvaluatedFlags } from './evaluated-flags.ts';

const probe = defineContract({
  name: 'probe',
  version: 1,
  errors: {},
  ops: {
    // Answers with the flags its handler sees.
    flagsSeen: op({
      kind: 'query',
      summary: 'The flags the handler sees',
      input: z.strictObject({}),
      output: z.object({ flags: z.record(z.string(), z.unknown()) }),
      http: { method: 'get', path: '/v1/probe/flags', status: 200, auth: 'optional', tag: 'Probe' },
    }),
  },
});

const log = createLogger({ level: 'silent', pretty: false, name: 'test' });
const SECRET = 'a-test-internal-service-secret-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'shareloop-hop-flags-'));
let service: Server;
let flags: EdgeFlags;
let evaluations = 0;
let edge: ReturnType<typeof testApp>;

before(async () => {
  // The service: hosts the probe behind its internal bus endpoint, and has no flag file at all.
  const serviceBus = new Bus();
  serviceBus.serve(probe, { flagsSeen: async (_input, ctx) => ({ flags: { ...ctx.flags } }) }, {});
  const serviceApp = testApp();
  mountInternalBus(serviceApp, {
    bus: serviceBus,
    credentials: serviceCredentials({ secret: SECRET, service: 'probe' }),
    isDraining: () => false,
    log,
  });
  service = await listen(serviceApp.fetch, { port: 0, host: '127.0.0.1', log });

  // The edge: hosts nothing, evaluates the flags once per request and calls the service over HTTP.
  const file = join(dir, 'flags.json');
  writeFileSync(
    file,
    JSON.stringify({
      flags: {
        'admin-banner': {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          targeting: { if: [{ '==': [{ var: 'role' }, 'admin'] }, 'on', 'off'] },
        },
      },
    }),
  );
  flags = await openEdgeFlags({ path: file, log, domain: 'hop-test' });
  const edgeBus = new Bus();
  const endpoint = { id: 'probe-1', url: `http://127.0.0.1:${service.port}` };
  edgeBus.route(
    'probe',
    new HttpTransport({
      module: 'probe',
      selector: { pick: () => endpoint, begin: () => () => {} },
      policy: new TargetPolicy(
        'probe',
        {
          timeoutMs: 2_000,
          retries: 0,
          breakerThreshold: 5,
          halfOpenAfterMs: 1_000,
          bulkheadLimit: 10,
          bulkheadQueue: 10,
        },
        { log, metrics: createMetrics('test') },
      ),
      credentials: serviceCredentials({ secret: SECRET, service: 'edge' }),
    }),
  );
  edge = testApp();
  mountContract(edge, probe, {
    bus: edgeBus,
    authenticate: async (token) => ({ userId: token, role: token.startsWith('admin') ? 'admin' : 'member' }),
    timeoutMs: 5_000,
    evaluateFlags: (caller) => {
      evaluations++;
      return flags.evaluate(caller);
    },
  });
});

after(async () => {
  await flags?.close();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function seen(token?: string): Promise<EvaluatedFlags> {
  const response = await edge.request(
    '/v1/probe/flags',
    token ? { headers: { authorization: `Bearer ${token}` } } : {},
  );
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { flags: EvaluatedFlags }).flags;
}

test('the edge evaluates the flags once per request and the handler across the HTTP hop sees that answer', async () => {
  const before = evaluations;
  assert.deepEqual(await seen('admin-1'), { 'admin-banner': { value: true, variant: 'on' } });
  assert.deepEqual(await seen('member-1'), { 'admin-banner': { value: false, variant: 'off' } });
  assert.deepEqual(await seen(), { 'admin-banner': { value: false, variant: 'off' } }, 'anonymous: the default');
  assert.equal(evaluations - before, 3, 'one evaluation per request');
});
