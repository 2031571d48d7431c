/**
 * The invariants every rental must end in, checked straight in the three databases:
 *   - every saga finished: each rental is confirmed (booked, waiting for its handover),
 *     active, cancelled or completed;
 *   - no held funds without a confirmed or active rental, and each of those holds exactly its total;
 *   - rentals never move items (the calendar is in rentals): no item is reserved or in use
 *     for a rental, and every active rental was handed over;
 *   - no double booking: no two rentals holding one item overlap;
 *   - the ledger balances: all entries sum to zero per currency, each transaction too,
 *     and no user account is negative;
 *   - nothing is left prepared (two-phase) in either database.
 */
import assert from 'node:assert/strict';
import type { Connections } from './world.ts';

export interface RentalRecord {
  id: string;
  item_id: string;
  status: string;
  total_amount: number;
  authorization_id: string | null;
}

export async function rentalsIn(sql: Connections): Promise<RentalRecord[]> {
  return [
    ...(await sql.rentals<
      RentalRecord[]
    >`select id, item_id, status, total_amount, authorization_id from rentals.rentals order by created_at`),
  ];
}

/** Rentals whose saga still has work to do (set up or undo). */
export async function unfinishedRentals(sql: Connections): Promise<string[]> {
  const rows = await sql.rentals<
    { id: string }[]
  >`select id from rentals.rentals where status not in ('confirmed', 'active', 'cancelled', 'completed')`;
  return rows.map((r) => r.id);
}

export async function checkInvariants(
  sql: Connections,
  options: { itemIds?: readonly string[] } = {},
): Promise<{ active: number; cancelled: number; completed: number }> {
  const all = await rentalsIn(sql);
  const byId = new Map(all.map((r) => [r.id, r]));
  const booked = (r: RentalRecord) => r.status === 'confirmed' || r.status === 'active';
  const unfinished = all.filter((r) => !['confirmed', 'active', 'cancelled', 'completed'].includes(r.status));
  assert.deepEqual(
    unfinished.map((r) => [r.id, r.status]),
    [],
    'every saga has finished',
  );

  // Payments: holds belong to active rentals, and each active rental holds its total.
  const auths = await sql.payments<
    { id: string; reference: string; status: string; amount: number }[]
  >`select id, reference, status, amount::int from payments.authorizations`;
  const heldFor = new Map<string, { id: string; amount: number }[]>();
  for (const a of auths) {
    const rentalId = a.reference.replace(/^rental:/, '');
    if (a.status === 'authorized')
      heldFor.set(rentalId, [...(heldFor.get(rentalId) ?? []), { id: a.id, amount: a.amount }]);
  }
  for (const [rentalId, holds] of heldFor) {
    const rental = byId.get(rentalId);
    assert.ok(
      rental && booked(rental),
      `money is held for rental ${rentalId}, which is ${rental?.status ?? 'unknown'}`,
    );
    assert.equal(holds.length, 1, `rental ${rentalId} holds money more than once`);
  }
  for (const r of all.filter((r) => booked(r) && r.total_amount > 0)) {
    assert.equal(heldFor.get(r.id)?.[0]?.amount, r.total_amount, `${r.status} rental ${r.id} holds its total`);
    assert.equal(heldFor.get(r.id)?.[0]?.id, r.authorization_id, `${r.status} rental ${r.id} records its hold`);
  }
  for (const r of all.filter((r) => r.status === 'completed' && r.authorization_id)) {
    assert.equal(
      auths.find((a) => a.id === r.authorization_id)?.status,
      'captured',
      `completed rental ${r.id} was captured`,
    );
  }

  // Inventory: rentals never hold items (the calendar is rentals'; an item has only a listing status); every active rental was handed over.
  const items = await sql.main<{ id: string; status: string }[]>`select id, status from inventory.items`;
  for (const item of items) {
    if (options.itemIds && !options.itemIds.includes(item.id)) continue;
    assert.ok(['listed', 'unlisted', 'retired'].includes(item.status), `item ${item.id} is ${item.status}`);
  }
  const notHandedOver = await sql.rentals<
    { id: string }[]
  >`select id from rentals.rentals where status in ('active', 'completed') and handed_over_at is null`;
  assert.deepEqual([...notHandedOver], [], 'every active or completed rental was handed over');

  // No double booking.
  const overlaps = await sql.rentals`
    select a.id as a, b.id as b from rentals.rentals a join rentals.rentals b
      on a.item_id = b.item_id and a.id < b.id
     and tstzrange(a.period_from, a.period_to, '[)') && tstzrange(b.period_from, b.period_to, '[)')
   where a.status in ('requested', 'confirmed', 'active', 'compensating') and b.status in ('requested', 'confirmed', 'active', 'compensating')`;
  assert.deepEqual([...overlaps], [], 'no two rentals of one item overlap');

  // The ledger balances and no user goes below zero.
  const sums = await sql.payments<
    { currency: string; total: string }[]
  >`select currency, sum(amount)::text as total from payments.ledger_entries group by currency`;
  for (const s of sums) assert.equal(s.total, '0', `the ${s.currency} ledger sums to zero`);
  const unbalanced =
    await sql.payments`select transaction_id from payments.ledger_entries group by transaction_id having sum(amount) <> 0`;
  assert.deepEqual([...unbalanced], [], 'every ledger transaction balances');
  const negative =
    await sql.payments`select id from payments.accounts where kind in ('wallet', 'holds') and balance < 0`;
  assert.deepEqual([...negative], [], 'no user account is negative');
  const [holds] = await sql.payments<{ held: string; authorized: string }[]>`
    select (select coalesce(sum(balance), 0) from payments.accounts where kind = 'holds')::text as held,
           (select coalesce(sum(amount), 0) from payments.authorizations where status = 'authorized')::text as authorized`;
  assert.equal(holds!.held, holds!.authorized, 'the holds accounts carry exactly the authorized amounts');

  for (const [name, db] of [
    ['rentals', sql.rentals],
    ['payments', sql.payments],
  ] as const) {
    const prepared = await db`select gid from pg_prepared_xacts where database = current_database()`;
    assert.deepEqual([...prepared], [], `nothing is left prepared in the ${name} database`);
  }
  return {
    active: all.filter((r) => r.status === 'active').length,
    cancelled: all.filter((r) => r.status === 'cancelled').length,
    completed: all.filter((r) => r.status === 'completed').length,
  };
}
