import type { z } from 'zod';
import { listingStatusOf, type itemHistoryEventSchema } from '../contract.ts';
import type { Listing } from './listing.ts';
import type { ItemStatus } from './status.ts';

export type HistoryEvent = z.output<typeof itemHistoryEventSchema>;

/** An item as its history tells it: everything but its id. */
export interface ItemState extends Listing {
  ownerId: string;
  status: ItemStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * Rebuilds an item's current state by replaying its history in version order. The history
 * must start with its creation (or a baseline) and have no gaps; a move must start from the
 * status the item was in. A history that breaks these is refused, never patched over. Statuses
 * recorded before listing statuses (available, reserved, in_use) read as listed.
 */
export function foldHistory(events: readonly HistoryEvent[]): ItemState {
  const [first, ...rest] = events;
  if (!first) throw new RangeError('An item history has at least one event.');
  let state = origin(first);
  for (const event of rest) {
    if (event.version !== state.version + 1)
      throw new RangeError(`Item history skips from version ${state.version} to ${event.version}.`);
    state = apply(state, event);
  }
  return state;
}

function origin(event: HistoryEvent): ItemState {
  const at = { version: event.version, createdAt: event.occurredAt, updatedAt: event.occurredAt };
  switch (event.type) {
    case 'created':
      if (event.version !== 1) throw new RangeError(`An item is created at version 1, not ${event.version}.`);
      return { ownerId: event.data.ownerId, ...listingOf(event.data), status: 'listed', ...at };
    case 'baseline': {
      const { ownerId, status, createdAt } = event.data;
      return { ownerId, ...listingOf(event.data), status: listingStatusOf(status), ...at, createdAt };
    }
    default:
      throw new RangeError(`An item history starts with its creation, not with ${event.type}.`);
  }
}

function apply(state: ItemState, event: HistoryEvent): ItemState {
  const at = { version: event.version, updatedAt: event.occurredAt };
  switch (event.type) {
    case 'updated':
      return { ...state, ...listingOf({ ...state, ...event.data }), ...at };
    case 'status_changed': {
      const { from, to } = event.data;
      if (listingStatusOf(from) !== state.status)
        throw new RangeError(`Version ${event.version} moves the item from ${from}, but it was ${state.status}.`);
      return { ...state, status: listingStatusOf(to), ...at };
    }
    case 'created':
    case 'baseline':
      throw new RangeError(
        `Version ${event.version} ${event.type === 'created' ? 'creates' : 'restarts'} an item that already exists.`,
      );
  }
}

/** The listing fields of a record, and nothing else it carries. */
function listingOf({ title, description, category, dailyPrice, deposit, condition }: Listing): Listing {
  return { title, description, category, dailyPrice, deposit, condition };
}

type ChangeOf<E> = E extends { type: infer T; data: infer D } ? { type: T; data: D } : never;

/** A change as the handlers record it; its version, actor and time come with the write. */
export type ItemChange = ChangeOf<Exclude<HistoryEvent, { type: 'baseline' }>>;
