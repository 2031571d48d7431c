import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { itemListed, itemMoved, itemName, moveKind, rentalNotices, welcome, type ItemMove } from './templates.ts';

const itemId = '4f3e1c2a-9b8d-4c7e-8f6a-5b4c3d2e1f00';
const ownerId = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const reservationId = '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b';
const move = (from: ItemMove['from'], to: ItemMove['to']): ItemMove => ({
  itemId,
  ownerId,
  from,
  to,
  reservationId: to === 'retired' ? null : reservationId,
});

describe('itemName', () => {
  test('quotes the title, collapsing whitespace', () => {
    assert.equal(itemName('  Cordless \n drill '), '“Cordless drill”');
  });

  test('shortens a long title to 80 characters with an ellipsis', () => {
    const name = itemName('x'.repeat(200));
    assert.equal(name.length, 82);
    assert.ok(name.endsWith('…”'));
  });

  test('says "your item" when the title is unknown or blank', () => {
    assert.equal(itemName(undefined), 'your item');
    assert.equal(itemName('   '), 'your item');
  });
});

describe('welcome', () => {
  test('greets the new member by name, in their own inbox', () => {
    const draft = welcome({ userId: ownerId, displayName: 'Ada' });
    assert.equal(draft.userId, ownerId);
    assert.equal(draft.kind, 'welcome');
    assert.match(draft.title, /Ada/);
  });
});

describe('itemListed', () => {
  test("tells the owner, naming the item, with the item's id as data", () => {
    const draft = itemListed({ itemId, ownerId, title: 'Tent' });
    assert.deepEqual(draft, {
      userId: ownerId,
      kind: 'itemListed',
      title: 'Your item “Tent” is listed',
      body: '“Tent” is now available for others to borrow.',
      data: { itemId },
    });
  });
});

describe('moves of an item', () => {
  test('reserved, in use, returned and released each tell the owner', () => {
    assert.equal(moveKind(move('available', 'reserved')), 'itemReserved');
    assert.equal(moveKind(move('reserved', 'in_use')), 'itemInUse');
    assert.equal(moveKind(move('in_use', 'available')), 'itemReturned');
    assert.equal(moveKind(move('reserved', 'available')), 'itemReleased');
  });

  test("retiring is the owner's own act: nothing to tell", () => {
    assert.equal(moveKind(move('available', 'retired')), undefined);
    assert.equal(itemMoved(move('available', 'retired'), 'Tent'), undefined);
  });

  test('the notification goes to the owner and names the item and the move', () => {
    const draft = itemMoved(move('available', 'reserved'), 'Tent');
    assert.equal(draft?.userId, ownerId);
    assert.equal(draft?.title, '“Tent” is reserved');
    assert.deepEqual(draft?.data, { itemId, from: 'available', to: 'reserved', reservationId });
  });

  test('without a title it still reads well', () => {
    assert.equal(itemMoved(move('in_use', 'available'), undefined)?.title, 'Your item was returned');
  });
});

describe('rentals', () => {
  const renterId = '7c6b5a4f-3e2d-4c1b-9a0f-8e7d6c5b4a39';
  const rentalId = '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e';
  const rental = {
    rentalId,
    itemId,
    ownerId,
    renterId,
    from: '2030-07-03T00:00:00.000Z',
    to: '2030-07-06T00:00:00.000Z',
  };
  const now = new Date('2030-06-01T00:00:00Z');

  test('a confirmation tells the owner the item was rented for the period, and the renter it is confirmed', () => {
    const [owner, renter] = rentalNotices('rentalConfirmed', rental, 'Drill', now);
    assert.deepEqual(
      [owner.userId, owner.kind, owner.title],
      [ownerId, 'rentalConfirmed', '“Drill” was rented for 3–5 July'],
    );
    assert.deepEqual(
      [renter.userId, renter.kind, renter.title],
      [renterId, 'rentalConfirmed', 'Your rental of “Drill” is confirmed'],
    );
    assert.equal(renter.body, '“Drill” is booked for you for 3–5 July.');
    assert.deepEqual(owner.data, { rentalId, itemId, from: rental.from, to: rental.to, role: 'owner' });
    assert.deepEqual(renter.data, { rentalId, itemId, from: rental.from, to: rental.to, role: 'renter' });
  });

  test('a return tells the renter their deposit was released, the owner it is settled', () => {
    const [owner, renter] = rentalNotices('rentalCompleted', rental, 'Drill', now);
    assert.equal(owner.title, 'Rental of “Drill” settled');
    assert.equal(renter.body, '“Drill” was returned; your deposit was released.');
  });

  test('a cancellation tells both, with the period', () => {
    const [owner, renter] = rentalNotices('rentalCancelled', rental, 'Drill', now);
    assert.equal(owner.title, 'Rental of “Drill” cancelled');
    assert.equal(owner.body, 'The rental for 3–5 July was cancelled; those dates are free again.');
    assert.equal(renter.title, 'Your rental of “Drill” was cancelled');
  });

  test('without a title: "your item" to the owner, "the item" to the renter', () => {
    const [owner, renter] = rentalNotices('rentalConfirmed', rental, undefined, now);
    assert.equal(owner.title, 'Your item was rented for 3–5 July');
    assert.equal(renter.title, 'Your rental of the item is confirmed');
    assert.equal(renter.body, 'The item is booked for you for 3–5 July.');
  });
});
