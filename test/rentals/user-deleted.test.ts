/**
 * identity.userDeleted as inventory and rentals consume it: the user's items are retired (never
 * rentable again) and their rentals not handed over yet are cancelled with full refunds (by the
 * recovery worker, after the consumer marked them compensating in its inbox transaction).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { drizzle } from 'drizzle-orm/postgres-js';
import { inventory } from '../../src/modules/inventory/contract.ts';
import { inventoryEvents } from '../../src/modules/inventory/db/schema.ts';
import { inventorySubscriptions } from '../../src/modules/inventory/subscriptions.ts';
import { payments } from '../../src/modules/payments/contract.ts';
import { rentals } from '../../src/modules/rentals/contract.ts';
import { rentalsSubscriptions } from '../../src/modules/rentals/subscriptions.ts';
import { primaryReads } from '../../src/shared/db/read-routing.ts';
import { createPublisher } from '../../src/shared/events/publish.ts';
import { checkInvariants } from './support/invariants.ts';
import {
  as,
  eventually,
  failsWith,
  listItem,
  newUser,
  periodOf,
  startWorld,
  topUp,
  type World,
} from './support/world.ts';

let world: World;
before(async () => {
  world = await startWorld();
});
after(async () => {
  await world?.stop();
});

const bus = () => world.bus;
const item = (id: string) => bus().call(inventory.ops.getItem, { id }, as(newUser()));
const get = (id: string, userId: string) => bus().call(rentals.ops.getRental, { id }, as(userId));
async function balance(userId: string) {
  return (await bus().call(payments.ops.getWallet, {}, as(userId))).balances.find((b) => b.currency === 'EUR');
}
async function scene() {
  const owner = newUser();
  const renter = newUser();
  const listed = await listItem(bus(), owner, { daily: 1_000, deposit: 5_000 });
  await topUp(bus(), renter, 20_000);
  return { owner, renter, item: listed };
}
const invariantsHold = () => eventually('the invariants', async () => (await checkInvariants(world.sql), true));

test("a deleted user's items are retired and their rentals not handed over are cancelled with full refunds", async () => {
  const { owner, renter, item: listed } = await scene();
  const booked = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(2, 4) }, as(renter));
  const handedOver = await bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(1) }, as(renter));
  const deleted = { envelope: {} as never, payload: { userId: owner, deletedAt: new Date().toISOString() } };
  // Each module's consumer, in a transaction of its own database (as the inbox runs it).
  const onRentals = drizzle({ client: world.sql.rentals });
  await onRentals.transaction((tx) => rentalsSubscriptions()[0]!.handle(deleted, tx as never));
  const onInventory = drizzle({ client: world.sql.main });
  const publish = createPublisher(inventoryEvents.outbox, 'inventory');
  await onInventory.transaction((tx) =>
    inventorySubscriptions({
      db: onInventory as never,
      reads: primaryReads(onInventory as never),
      cache: world.host.platform.cache,
      publish,
    })[0]!.handle(deleted, tx as never),
  );
  assert.equal((await item(listed.id)).status, 'retired');
  await failsWith(
    bus().call(rentals.ops.createRental, { itemId: listed.id, ...periodOf(1, 10) }, as(newUser())),
    'rentals.itemUnavailable',
  );
  const cancelled = await eventually('recovery to cancel the booked rental', async () => {
    const now = await get(booked.id, renter);
    return now.status === 'cancelled' ? now : undefined;
  });
  assert.match(cancelled.failure?.detail ?? '', /deleted their account; fee and deposit refunded in full/);
  assert.equal(
    (await get(handedOver.id, renter)).status,
    'active',
    'a rental already handed over goes on to its return',
  );
  assert.deepEqual(await balance(renter), {
    currency: 'EUR',
    balance: 20_000,
    available: 20_000 - handedOver.total.amount,
    held: handedOver.total.amount,
  });
  await invariantsHold();
});
