import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { itemConditionSchema, itemSchema, inventory } from '../../src/modules/inventory/contract.ts';
import { defineContract, type EventSpec, type OpSpec } from '../../src/shared/bus/contract.ts';
import { checkRelease, diffContract, judge } from '../../scripts/contracts/compare.ts';
import {
  type ContractSnapshot,
  describeContract,
  describeOpenApi,
  type OpenApiSnapshot,
} from '../../scripts/contracts/describe.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ops = inventory.ops as unknown as Record<string, OpSpec>;
const events = inventory.events as unknown as Record<string, EventSpec>;

const { version: MAJOR, minor: MINOR } = inventory;
const CURRENT = `${MAJOR}.${MINOR}`.replace('.', '\\.');

/** A copy of the inventory contract with some ops and events replaced, at a given version. */
function inventoryCopy(
  version: number,
  minor: number,
  changes: { ops?: Record<string, OpSpec | undefined>; events?: Record<string, EventSpec>; errors?: object } = {},
) {
  const nextOps = { ...ops, ...changes.ops };
  for (const [key, spec] of Object.entries(nextOps)) if (!spec) delete nextOps[key];
  return describeContract(
    defineContract({
      name: 'inventory',
      version,
      minor,
      errors: { ...inventory.errors, ...changes.errors } as typeof inventory.errors,
      ops: nextOps as Record<string, OpSpec>,
      events: { ...events, ...changes.events },
    }) as never,
  );
}

const named = (changes: { path: string; kind: string }[]) => changes.map((c) => `${c.kind} ${c.path}`);

describe('contracts:check', () => {
  const release = describeContract(inventory as never);

  test('the contracts match the release committed under contracts/ (or carry fitting versions)', async () => {
    const committed = JSON.parse(readFileSync(join(root, 'contracts/inventory.json'), 'utf8')) as ContractSnapshot;
    assert.equal(committed.name, 'inventory');
    assert.deepEqual(
      judge('inventory', committed.version, release.version, diffContract(committed, release)).problem,
      undefined,
    );
  });

  test('breaking changes fail without a major bump, each named by path and kind, and pass with one', () => {
    const breaking = {
      ops: {
        // An output field removed, a required input added, an enum narrowed, an op removed.
        getItem: { ...ops.getItem!, output: itemSchema.omit({ title: true }) },
        listItems: {
          ...ops.listItems!,
          input: (ops.listItems!.input as z.ZodObject).extend({ region: z.string() }),
        },
        createItem: {
          ...ops.createItem!,
          input: (ops.createItem!.input as z.ZodObject).extend({ condition: itemConditionSchema.exclude(['worn']) }),
        },
        exportItemHistory: undefined,
      },
      // An error's status changed: 404 → 409.
      errors: { itemNotFound: 'conflict' },
    };
    const same = inventoryCopy(MAJOR, MINOR, breaking);
    const changes = diffContract(release, same);
    const found = named(changes);
    for (const expected of [
      'fieldRemoved inventory.getItem output.title',
      'requiredInputAdded inventory.listItems input.region',
      'enumValueRemoved inventory.createItem input.condition="worn"',
      'opRemoved inventory.exportItemHistory',
      'errorStatusChanged inventory.getItem errors.inventory.itemNotFound',
    ])
      assert.ok(found.includes(expected), `${expected} not in ${found.join('; ')}`);
    assert.ok(
      changes.every((c) => c.breaking),
      found.join('; '),
    );
    assert.match(judge('inventory', release.version, same.version, changes).problem ?? '', /need a major version bump/);
    // A minor bump is not enough; a major one is.
    const minor = inventoryCopy(MAJOR, MINOR + 1, breaking);
    assert.ok(judge('inventory', release.version, minor.version, diffContract(release, minor)).problem);
    const major = inventoryCopy(MAJOR + 1, 0, breaking);
    assert.equal(judge('inventory', release.version, major.version, diffContract(release, major)).problem, undefined);
  });

  test('additive changes need a minor bump, and pass with it', () => {
    const additive = {
      ops: {
        // An optional input, a new output field, a new op.
        listItems: {
          ...ops.listItems!,
          input: (ops.listItems!.input as z.ZodObject).extend({ region: z.string().optional() }),
        },
        getItem: { ...ops.getItem!, output: itemSchema.extend({ rating: z.number() }) },
        countItems: {
          kind: 'query',
          internal: true,
          summary: 'Count items',
          input: z.object({}),
          output: z.int(),
        } as OpSpec,
      },
    };
    const same = inventoryCopy(MAJOR, MINOR, additive);
    const changes = diffContract(release, same);
    assert.deepEqual(named(changes).sort(), [
      'fieldAdded inventory.getItem output.rating',
      'opAdded inventory.countItems',
      'optionalInputAdded inventory.listItems input.region',
    ]);
    assert.ok(changes.every((c) => !c.breaking));
    assert.match(judge('inventory', '1.0', '1.0', changes).problem ?? '', /need at least a minor version bump/);
    const bumped = inventoryCopy(MAJOR, MINOR + 1, additive);
    assert.equal(judge('inventory', '1.0', bumped.version, diffContract(release, bumped)).problem, undefined);
  });

  test('a new event version needs an upcaster from the previous one', () => {
    const itemCreated = events.itemCreated!;
    const v2 = { ...itemCreated, version: 2 };
    const without = diffContract(
      release,
      inventoryCopy(MAJOR, MINOR + 1, { events: { itemCreated: { ...v2, upcasters: {} } } }),
    );
    assert.ok(named(without).includes('upcasterMissing inventory.itemCreated v1'), named(without).join('; '));
    const withOne = diffContract(
      release,
      inventoryCopy(MAJOR, MINOR + 1, { events: { itemCreated: { ...v2, upcasters: { 1: (p) => p } } } }),
    );
    assert.deepEqual(named(withOne), ['eventVersionBumped inventory.itemCreated']);
  });

  describe('the OpenAPI document', () => {
    let openapi: OpenApiSnapshot;
    before(async () => {
      openapi = await describeOpenApi();
    });

    test('a removed route is breaking and owned by its contract; a removed non-contract route by openapi', () => {
      const document = structuredClone(openapi.document) as { paths: Record<string, Record<string, unknown>> };
      delete document.paths['/v1/items/{id}/history'];
      // Served by the edge itself (gateway.getItemDetails), not by a contract.
      delete document.paths['/v1/items/{id}/details'];
      const contracts = [release];
      const verdicts = checkRelease({ contracts, openapi }, { contracts, openapi: { ...openapi, document } });
      const inventoryVerdict = verdicts.find((v) => v.unit === 'inventory')!;
      assert.ok(
        named(inventoryVerdict.changes).includes('routeRemoved openapi GET /v1/items/{id}/history'),
        named(inventoryVerdict.changes).join('; '),
      );
      assert.match(inventoryVerdict.problem ?? '', /major/);
      const apiVerdict = verdicts.find((v) => v.unit === 'openapi')!;
      assert.ok(
        named(apiVerdict.changes).some((c) => c.startsWith('routeRemoved')),
        named(apiVerdict.changes).join('; '),
      );
      assert.match(apiVerdict.problem ?? '', /major/);
    });
  });

  describe('the command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contracts-'));
    const run = (command: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/contracts.ts', command, '--dir', dir], {
        cwd: root,
        encoding: 'utf8',
      });
    after(() => rmSync(dir, { recursive: true, force: true }));

    test('snapshot records a release that check accepts; a release with an op the code lost fails, naming it', () => {
      const recorded = run('snapshot');
      assert.equal(recorded.status, 0, recorded.stderr);
      assert.equal(run('check').status, 0);
      // The recorded release had an op that the current code no longer has.
      const file = join(dir, 'inventory.json');
      const snapshot = JSON.parse(readFileSync(file, 'utf8')) as ContractSnapshot;
      snapshot.ops.archiveItem = snapshot.ops.getItem!;
      writeFileSync(file, JSON.stringify(snapshot));
      const checked = run('check');
      assert.equal(checked.status, 1, checked.stdout);
      assert.match(
        checked.stdout,
        new RegExp(`inventory ${CURRENT} → ${CURRENT}: FAIL: 1 breaking change\\(s\\) need a major version bump`),
      );
      assert.match(checked.stdout, /breaking opRemoved: inventory\.archiveItem/);
    });
  });
});
