/**
 * Mixed versions in split mode: a caller built against another major of a contract is
 * refused with a clear problem; a caller of another minor of the same major interoperates.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inventory, itemSchema } from '../../src/modules/inventory/contract.ts';
import { allContracts } from '../../src/runtimes/contracts.ts';
import { systemContext } from '../../src/shared/bus/context.ts';
import type { Op } from '../../src/shared/bus/contract.ts';
import { routeRemoteModules } from '../../src/shared/bus/remote-routing.ts';
import { serviceCredentials } from '../../src/shared/bus/service-credentials.ts';
import { parseConfig } from '../../src/shared/config/config.ts';
import { hostModules, type Host } from '../../src/shared/modules/platform.ts';
import { createLogger } from '../../src/shared/observability/logger.ts';
import { INTERNAL_SECRET, faultEnv, internalCall, startServices } from '../faults/fault-support.ts';
import { failsWith } from '../support/fails-with.ts';
import { tentListing } from '../support/fixtures.ts';

describe('mixed contract versions between a caller and an inventory service', () => {
  let services: Awaited<ReturnType<typeof startServices>>;
  let caller: Host;
  const owner = systemContext({ caller: { userId: '6f1c1d7e-8a39-4d4c-9a51-0b9f0c1d2e3f', role: 'member' } });

  before(async () => {
    const env = await faultEnv({ SHARELOOP_VERSION: '1.1.0' });
    services = await startServices(env, [{ name: 'inventory', modules: 'inventory' }]);
    const config = parseConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      REDIS_URL: env.REDIS_URL!,
      REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX!,
      INTERNAL_SERVICE_SECRET: INTERNAL_SECRET,
    });
    caller = await hostModules({
      config,
      log: createLogger({ level: 'silent', pretty: false, name: 'mixed-versions' }),
      service: 'mixed-versions',
      modules: [],
      connect: (platform) =>
        routeRemoteModules({
          platform,
          credentials: serviceCredentials({ secret: INTERNAL_SECRET, service: 'mixed-versions' }),
          contracts: allContracts,
        }),
    });
  });
  after(async () => {
    await caller?.stop();
    await services?.stop();
  });

  test('a caller built against another major is refused with contractVersionMismatch naming both versions', async () => {
    const bus = caller.platform.bus;
    const item = await bus.call(inventory.ops.createItem, tentListing, owner);
    for (const major of [inventory.version + 1, inventory.version - 1]) {
      const skewed = { ...inventory.ops.getItem, version: major } as Op;
      const error = await failsWith(
        bus.call(skewed, { id: item.id } as never, systemContext()),
        'contractVersionMismatch',
      );
      assert.equal(error.kind, 'internal');
      assert.equal(
        error.detail,
        `inventory.getItem is version ${inventory.version}; the caller was built against ${major}.`,
      );
    }
    // On the wire: a typed error reply, never the handler's output.
    const token = await serviceCredentials({ secret: INTERNAL_SECRET, service: 'mixed-versions' }).token();
    const raw = await internalCall(
      services.process('inventory').url,
      'inventory.getItem',
      { input: { id: item.id }, contractVersion: inventory.version + 1 },
      `Bearer ${token}`,
    );
    assert.equal(raw.status, 500);
    assert.equal(raw.body.error.code, 'contractVersionMismatch');
    assert.equal(raw.body.output, undefined);
  });

  test('callers of an older or newer minor of the same major interoperate', async () => {
    const bus = caller.platform.bus;
    const item = await bus.call(inventory.ops.createItem, tentListing, owner);
    // Built against 1.0, before items had updatedAt (pretend): it reads the fields it knows.
    const older = { ...inventory.ops.getItem, minor: 0, output: itemSchema.omit({ updatedAt: true }) } as Op;
    const read = (await bus.call(older, { id: item.id } as never, systemContext())) as Record<string, unknown>;
    assert.equal(read.id, item.id);
    assert.equal(read.title, item.title);
    assert.equal('updatedAt' in read, false);
    const newer = { ...inventory.ops.getItem, minor: inventory.minor + 3 } as Op;
    assert.deepEqual(await bus.call(newer, { id: item.id } as never, systemContext()), item);
    // The wire carries the minor, and the service accepts any minor of its major.
    const token = await serviceCredentials({ secret: INTERNAL_SECRET, service: 'mixed-versions' }).token();
    const raw = await internalCall(
      services.process('inventory').url,
      'inventory.getItem',
      { input: { id: item.id }, contractVersion: inventory.version, contractMinor: inventory.minor + 7 },
      `Bearer ${token}`,
    );
    assert.equal(raw.status, 200, JSON.stringify(raw.body));
    assert.equal(raw.body.output.id, item.id);
  });
});
