/**
 * Catalog availability and rentals agree by construction (property test, fast-check, fixed
 * seed, bounded runs): for random whole-day periods of one item, "catalog search says the item
 * is free" equals "a rental of that period is accepted". Accepted rentals stay booked, so the
 * calendar fills up as the runs go; before each question the catalog has caught up with every
 * booking (it follows rentals' events). One run in five the owner has unlisted the item first:
 * then search must not offer it and rentals must refuse it (rentals.itemUnlisted). After each
 * run, availableNow must be "listed and no accepted booking covers now".
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { catalog } from '../../src/modules/catalog/contract.ts';
import { catalogModule } from '../../src/modules/catalog/module.ts';
import { inventory } from '../../src/modules/inventory/contract.ts';
import { inventoryModule } from '../../src/modules/inventory/module.ts';
import { paymentsModule } from '../../src/modules/payments/module.ts';
import { rentalsModule } from '../../src/modules/rentals/module.ts';
import { createDatabase } from '../support/services.ts';
import { testServers } from '../support/env.ts';
import { startTestHost, type TestHost } from '../support/test-host.ts';
import { as, eventually, newUser, rent, topUp } from './support/world.ts';

const RUNS = Number(process.env.CALENDAR_PROPERTY_RUNS ?? 30);
const DAY = 86_400_000;
let host: TestHost;
before(async () => {
  host = await startTestHost([inventoryModule, paymentsModule, rentalsModule, catalogModule], {
    DATABASE_URL: await createDatabase(testServers().pgUrl),
    OUTBOX_POLL_MS: '100',
  });
});
after(async () => {
  await host?.stop();
});

const day = (offset: number) => new Date(Math.floor(Date.now() / DAY) * DAY + offset * DAY).toISOString().slice(0, 10);

test(`property: for ${RUNS} random periods, catalog "free" equals rental "accepted"`, async () => {
  const bus = host.platform.bus;
  const owner = newUser();
  const tag = `cal${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const item = await bus.call(
    inventory.ops.createItem,
    {
      title: `Canoe ${tag}`,
      category: 'water-sports',
      dailyPrice: { amount: 100, currency: 'EUR' },
      deposit: { amount: 100, currency: 'EUR' },
      condition: 'good',
    },
    as(owner),
  );
  const search = (period?: { from: string; to: string }, status?: 'listed' | 'unlisted') =>
    bus.call(
      catalog.ops.searchItems,
      {
        q: tag,
        limit: 5,
        ...(period ? { availableFrom: period.from, availableTo: period.to } : {}),
        ...(status ? { status } : {}),
      },
      as(newUser()),
    );
  let listed = true;
  let bookedNow = false;
  const setListed = async (wanted: boolean) => {
    if (wanted === listed) return;
    await bus.call(wanted ? inventory.ops.relistItem : inventory.ops.unlistItem, { id: item.id }, as(owner));
    listed = wanted;
    const status = wanted ? 'listed' : 'unlisted';
    await eventually(`the catalog to show the item ${status}`, async () =>
      (await search(undefined, status)).items.length === 1 ? true : undefined,
    );
  };
  await eventually('the item in the catalog', async () => ((await search()).items.length === 1 ? true : undefined));
  let agreedFree = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 1, max: 6 }),
      fc.nat(4).map((n) => n !== 0),
      async (start, days, wantListed) => {
        await setListed(wantListed);
        const period = { from: day(start), to: day(start + days - 1) };
        const free = (await search(period)).items.some((hit) => hit.id === item.id);
        const renter = newUser();
        await topUp(bus, renter, 10_000);
        const answer = await rent(bus, renter, item.id, period);
        const accepted = 'rental' in answer;
        if (!accepted)
          assert.equal(
            answer.error.code,
            listed ? 'rentals.periodTaken' : 'rentals.itemUnlisted',
            `${period.from}–${period.to}: ${answer.error.code}`,
          );
        assert.equal(
          free,
          accepted,
          `${period.from}–${period.to}: catalog says ${free ? 'free' : 'booked'}, rentals ${accepted ? 'accepted' : 'refused'} it`,
        );
        if (accepted) {
          agreedFree++;
          // The catalog follows rentals' events: wait until it books this period before the next question.
          await eventually('the catalog to book the period', async () =>
            (await search(period)).items.length === 0 ? true : undefined,
          );
          // A whole-day period starting today covers this instant.
          if (start === 0) bookedNow = true;
        }
        const [hit] = (await search(undefined, listed ? 'listed' : 'unlisted')).items;
        assert.equal(hit?.availability.availableNow, listed && !bookedNow, 'availableNow from status and calendar');
      },
    ),
    { numRuns: RUNS, seed: 20261207, endOnFailure: true },
  );
  assert.ok(agreedFree > 0 && agreedFree < RUNS, `both answers occurred (${agreedFree} of ${RUNS} free)`);
});
