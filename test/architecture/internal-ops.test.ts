/**
 * Ops that only other modules may call (saga steps, two-phase decisions, exports for the
 * ETL, lookups) are marked internal in their contract. The public API (the monolith's and
 * the gateway's, both built by runtimes/public-api.ts) documents and routes none of them,
 * and cannot be made to: declaring or mounting an internal op with a route fails.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { allContracts } from '../../src/runtimes/contracts.ts';
import { allModules } from '../../src/runtimes/modules.ts';
import { Bus } from '../../src/shared/bus/bus.ts';
import { type AnyContract, defineContract, type Op, op } from '../../src/shared/bus/contract.ts';
import { INTERNAL_BUS_PATH } from '../../src/shared/bus/wire.ts';
import { mountContract } from '../../src/shared/http/contract-routes.ts';
import { testApp } from '../../src/shared/http/testing/test-app.ts';
import { documentedOperations } from '../support/openapi-operations.ts';
import { startTestHost, type TestHost } from '../support/test-host.ts';

const ops = allContracts.flatMap((c) => Object.values(c.ops) as Op[]);
const internalOps = ops.filter((o) => o.internal);
const publicOps = ops.filter((o) => !o.internal);

type OpenApi = { paths: Record<string, Record<string, { operationId: string }>> };

/** The router's routes in OpenAPI path form (`:id` → `{id}`), as "METHOD path". */
function routesOf(host: TestHost): string[] {
  return host.app.routes.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
}

test('every op is public with a route or internal without one, and the known internal ops are internal', () => {
  for (const o of ops) assert.notEqual(Boolean(o.internal), Boolean(o.http), `${o.name} is neither or both`);
  const names = internalOps.map((o) => o.name);
  for (const name of [
    'rentals.twoPhaseDecision',
    'rentals.exportRentals',
    'payments.prepareSettlement',
    'payments.finishPrepared',
    'payments.exportLedger',
    'rentals.countHandedOverRentals',
    'catalog.exportExposures',
    'inventory.exportItemHistory',
    'identity.exportUsers',
    'identity.ensureAdmin',
  ])
    assert.ok(names.includes(name), `${name} is not internal`);
});

describe('the public API mounts no internal op', () => {
  const remoteCalls: string[] = [];
  const shapes: Record<'monolith' | 'gateway', TestHost | undefined> = { monolith: undefined, gateway: undefined };

  before(async () => {
    // The monolith hosts every module; the gateway hosts none and sends every call on.
    shapes.monolith = await startTestHost(allModules);
    shapes.gateway = await startTestHost([]);
    for (const contract of allContracts)
      shapes.gateway.platform.bus.route(contract.name, {
        async call(o) {
          remoteCalls.push(o.name);
          return {};
        },
      });
  });
  after(async () => {
    await shapes.monolith?.stop();
    await shapes.gateway?.stop();
  });

  for (const shape of ['monolith', 'gateway'] as const) {
    test(`${shape}: the OpenAPI document names every public op and no internal one`, async () => {
      const res = await shapes[shape]!.app.request('/openapi.json');
      assert.equal(res.status, 200);
      const { paths } = (await res.json()) as OpenApi;
      documentedOperations(paths, publicOps, publicOps.length);
      const operationIds = Object.values(paths).flatMap((m) => Object.values(m).map((o) => o.operationId));
      for (const o of internalOps) assert.ok(!operationIds.includes(o.name), `${o.name} is documented`);
    });

    test(`${shape}: the router serves the public routes and nothing on the internal bus path`, async () => {
      const host = shapes[shape]!;
      const routes = routesOf(host);
      for (const o of publicOps) assert.ok(routes.includes(`${o.http!.method.toUpperCase()} ${o.http!.path}`), o.name);
      const internal = routes.filter((r) => r.split(' ')[1]!.startsWith(INTERNAL_BUS_PATH));
      assert.deepEqual(internal, []);
      for (const o of internalOps) {
        const res = await host.app.request(`${INTERNAL_BUS_PATH}/${o.name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ input: {} }),
        });
        assert.equal(res.status, 404, `${o.name} answered ${res.status}`);
      }
      assert.deepEqual(remoteCalls, [], 'an internal op was called through the public API');
    });
  }
});

describe('an internal op cannot be given a route', () => {
  const route = { method: 'post', path: '/v1/decide', status: 200, auth: 'required', tag: 'Test' } as const;
  const spec = { kind: 'command', summary: 'Decide', input: z.strictObject({}), output: z.object({}) } as const;

  test('declaring one with a route, or an op with neither, fails', () => {
    assert.throws(
      () =>
        defineContract({
          name: 'x',
          version: 1,
          errors: {},
          ops: { decide: { ...spec, internal: true, http: route } },
        }),
      /x\.decide is internal but has an HTTP route/,
    );
    assert.throws(
      () => defineContract({ name: 'x', version: 1, errors: {}, ops: { decide: spec } }),
      /x\.decide needs an HTTP route or internal: true/,
    );
    // @ts-expect-error: the type of op() allows a route or internal, not both
    op({ ...spec, internal: true, http: route });
  });

  test('mounting a contract that carries one (built around defineContract) refuses it', () => {
    const forged = {
      name: 'x',
      version: 1,
      errors: {},
      events: {},
      ops: { decide: { ...spec, internal: true, http: route, name: 'x.decide', module: 'x', version: 1 } },
    } as unknown as AnyContract;
    const app = testApp();
    assert.throws(
      () =>
        mountContract(app, forged, {
          bus: new Bus(),
          authenticate: async () => ({ userId: 'u', role: 'member' }),
          timeoutMs: 1_000,
        }),
      /x\.decide is internal but has an HTTP route: the public API will not mount it/,
    );
    assert.deepEqual(
      app.routes.filter((r) => r.path === '/v1/decide'),
      [],
    );
  });
});
