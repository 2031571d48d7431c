import type { OutputOf } from '../../../shared/bus/contract.ts';
import { catalog } from '../../catalog/contract.ts';
import { identity } from '../../identity/contract.ts';
import { inventory } from '../../inventory/contract.ts';
import { payments } from '../../payments/contract.ts';
import { rentals } from '../../rentals/contract.ts';
import { dateKeyOf, dayOf, warehouseTime } from '../domain/dates.ts';
import type { ItemEventFacts } from '../domain/item-versions.ts';
import type { WarehouseValue } from '../warehouse/port.ts';

type Rows<O> = O extends { rows: (infer R)[] } ? R : never;

/** What loading a page learned for the run's end: days seen, items whose dimension or rentals need another look. */
export interface RunScratch {
  dateKeys: Set<number>;
  /** Items with new events: their dimension rows are folded again. */
  itemsWithEvents: Set<string>;
  /** Items whose rentals get their item version again. */
  touchedItems: Set<string>;
}

/** One module export feeding warehouse tables: its op and how a row becomes a warehouse row. */
export interface Source<R> {
  name: string;
  op:
    | typeof identity.ops.exportUsers
    | typeof inventory.ops.exportItemHistory
    | typeof rentals.ops.exportRentals
    | typeof payments.ops.exportLedger
    | typeof catalog.ops.exportExposures;
  table: string;
  toRow(row: R, scratch: RunScratch): Record<string, WarehouseValue>;
}

const time = (iso: string | null) => (iso ? warehouseTime(iso) : null);
function dateKey(iso: string | null, scratch: RunScratch): number | null {
  if (!iso) return null;
  const key = dateKeyOf(iso);
  scratch.dateKeys.add(key);
  return key;
}

const users: Source<Rows<OutputOf<typeof identity.ops.exportUsers>>> = {
  name: 'users',
  op: identity.ops.exportUsers,
  table: 'dim_user',
  toRow: (u, scratch) => ({
    user_id: u.id,
    role: u.role,
    registered_at: time(u.registeredAt),
    registered_date_key: dateKey(u.registeredAt, scratch),
  }),
};

type HistoryRow = Rows<OutputOf<typeof inventory.ops.exportItemHistory>>;

/** The facts an item history event carries, flattened. */
export function itemEventFacts({ itemId, event }: HistoryRow): ItemEventFacts {
  const facts: ItemEventFacts = {
    itemId,
    version: event.version,
    eventType: event.type,
    occurredAt: event.occurredAt,
    ownerId: null,
    title: null,
    category: null,
    currency: null,
    dailyPrice: null,
    deposit: null,
    statusTo: null,
  };
  switch (event.type) {
    case 'created':
    case 'baseline': {
      const d = event.data;
      return {
        ...facts,
        ownerId: d.ownerId,
        title: d.title,
        category: d.category,
        currency: d.dailyPrice.currency,
        dailyPrice: d.dailyPrice.amount,
        deposit: d.deposit.amount,
        statusTo: 'status' in d ? d.status : null,
      };
    }
    case 'updated': {
      const d = event.data;
      return {
        ...facts,
        title: d.title ?? null,
        category: d.category ?? null,
        currency: d.dailyPrice?.currency ?? d.deposit?.currency ?? null,
        dailyPrice: d.dailyPrice?.amount ?? null,
        deposit: d.deposit?.amount ?? null,
      };
    }
    case 'status_changed':
      return { ...facts, statusTo: event.data.to };
  }
}

const itemHistory: Source<HistoryRow> = {
  name: 'item_history',
  op: inventory.ops.exportItemHistory,
  table: 'fact_item_event',
  toRow(row, scratch) {
    const f = itemEventFacts(row);
    scratch.itemsWithEvents.add(row.itemId);
    scratch.touchedItems.add(row.itemId);
    return {
      event_id: row.historyId,
      item_id: row.itemId,
      version: f.version,
      event_type: f.eventType,
      actor_id: row.event.actorId,
      owner_id: f.ownerId,
      title: f.title,
      category: f.category,
      currency: f.currency,
      daily_price: f.dailyPrice,
      deposit: f.deposit,
      status_from: row.event.type === 'status_changed' ? row.event.data.from : null,
      status_to: f.statusTo,
      occurred_at: time(f.occurredAt),
      occurred_date: dayOf(f.occurredAt),
      date_key: dateKey(f.occurredAt, scratch),
    };
  },
};

const rentalRows: Source<Rows<OutputOf<typeof rentals.ops.exportRentals>>> = {
  name: 'rentals',
  op: rentals.ops.exportRentals,
  table: 'fact_rental',
  toRow(r, scratch) {
    scratch.touchedItems.add(r.itemId);
    return {
      rental_id: r.id,
      item_id: r.itemId,
      item_key: null,
      owner_id: r.ownerId,
      renter_id: r.renterId,
      status: r.status,
      period_from: time(r.from),
      period_to: time(r.to),
      days: r.days,
      currency: r.fee.currency,
      daily_price: r.dailyPrice.amount,
      fee: r.fee.amount,
      deposit: r.deposit.amount,
      created_at: time(r.createdAt),
      confirmed_at: time(r.confirmedAt),
      cancelled_at: time(r.cancelledAt),
      completed_at: time(r.completedAt),
      created_date: dayOf(r.createdAt),
      created_date_key: dateKey(r.createdAt, scratch),
      completed_date_key: dateKey(r.completedAt, scratch),
    };
  },
};

const ledger: Source<Rows<OutputOf<typeof payments.ops.exportLedger>>> = {
  name: 'ledger',
  op: payments.ops.exportLedger,
  table: 'fact_ledger',
  toRow: (e, scratch) => ({
    entry_id: e.entryId,
    transaction_id: e.transactionId,
    kind: e.kind,
    account_id: e.accountId,
    account_kind: e.accountKind,
    account_owner_id: e.accountOwnerId,
    currency: e.currency,
    amount: e.amount,
    authorization_id: e.authorizationId,
    reference: e.reference,
    created_at: time(e.createdAt),
    created_date: dayOf(e.createdAt),
    date_key: dateKey(e.createdAt, scratch),
  }),
};

const exposures: Source<Rows<OutputOf<typeof catalog.ops.exportExposures>>> = {
  name: 'exposures',
  op: catalog.ops.exportExposures,
  table: 'fact_experiment_exposure',
  toRow: (e, scratch) => ({
    exposure_id: e.id,
    user_id: e.userId,
    flag: e.flag,
    variant: e.variant,
    exposed_at: time(e.exposedAt),
    exposed_date: dayOf(e.exposedAt),
    date_key: dateKey(e.exposedAt, scratch),
  }),
};

/** Every source, in load order: dimensions' sources before the facts that refer to them. */
export const sources: readonly Source<never>[] = [
  users,
  itemHistory,
  rentalRows,
  ledger,
  exposures,
] as unknown as Source<never>[];
