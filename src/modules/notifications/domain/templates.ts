import type { z } from 'zod';
import type { notificationKindSchema } from '../contract.ts';
import { periodText } from './period-text.ts';

export type NotificationKind = z.infer<typeof notificationKindSchema>;

/** A notification about to be written: who it is for and what it says. */
export interface NotificationDraft {
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  data: Record<string, unknown>;
}

/** Listing statuses, and the availability states items had before bookings moved to the rentals calendar. */
type ItemStatus = 'listed' | 'unlisted' | 'retired' | 'available' | 'reserved' | 'in_use';

/** A move of an item's status, as inventory reports it (listing moves are the owner's own acts: nothing to tell). */
export interface ItemMove {
  itemId: string;
  ownerId: string;
  from: ItemStatus;
  to: ItemStatus;
  reservationId: string | null;
}

/** The kinds a move of an item can cause. */
type MoveKind = Extract<NotificationKind, 'itemReserved' | 'itemInUse' | 'itemReturned' | 'itemReleased'>;

const MAX_NAME = 80;

/** An item's title as quoted in a sentence, shortened to keep notifications readable; `unknown` when it has none. */
export function itemName(title: string | undefined, unknown = 'your item'): string {
  if (!title?.trim()) return unknown;
  const clean = title.trim().replace(/\s+/g, ' ');
  return `“${clean.length > MAX_NAME ? `${clean.slice(0, MAX_NAME - 1)}…` : clean}”`;
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Greets a member who just opened an account. */
export function welcome(user: { userId: string; displayName: string }): NotificationDraft {
  const name = user.displayName.trim().slice(0, MAX_NAME) || 'there';
  return {
    userId: user.userId,
    kind: 'welcome',
    title: `Welcome to Shareloop, ${name}!`,
    body: 'List the things you own to lend or rent them out, or borrow what you need from people nearby.',
    data: {},
  };
}

/** Tells an owner their new item is listed. */
export function itemListed(item: { itemId: string; ownerId: string; title: string }): NotificationDraft {
  const name = itemName(item.title);
  return {
    userId: item.ownerId,
    kind: 'itemListed',
    title: `Your item ${name} is listed`,
    body: `${capitalized(name)} is now available for others to borrow.`,
    data: { itemId: item.itemId },
  };
}

/**
 * What an owner hears of a move of their item: reserved, picked up (in use), returned, or a
 * reservation cancelled (released). Retiring is the owner's own act: nothing.
 */
export function moveKind(move: Pick<ItemMove, 'from' | 'to'>): MoveKind | undefined {
  if (move.to === 'reserved') return 'itemReserved';
  if (move.to === 'in_use') return 'itemInUse';
  if (move.from === 'in_use' && move.to === 'available') return 'itemReturned';
  if (move.from === 'reserved' && move.to === 'available') return 'itemReleased';
  return undefined;
}

/** Tells an owner what happened to their item (see moveKind); undefined when nothing is worth telling. */
export function itemMoved(move: ItemMove, title: string | undefined): NotificationDraft | undefined {
  const kind = moveKind(move);
  if (!kind) return undefined;
  const name = itemName(title);
  const Name = capitalized(name);
  const texts: Record<MoveKind, [title: string, body: string]> = {
    itemReserved: [`${Name} is reserved`, `Someone reserved ${name}. We will tell you when they pick it up.`],
    itemInUse: [`${Name} is in use`, `${Name} was picked up and is now in use.`],
    itemReturned: [`${Name} was returned`, `${Name} is back and available again.`],
    itemReleased: [
      `Reservation of ${name} cancelled`,
      `The reservation of ${name} was cancelled; it is available again.`,
    ],
  };
  const [heading, body] = texts[kind];
  return {
    userId: move.ownerId,
    kind,
    title: heading,
    body,
    data: { itemId: move.itemId, from: move.from, to: move.to, reservationId: move.reservationId },
  };
}

/** What rentals tells of a rental: ids and its half-open period [from, to) as ISO instants. */
export interface RentalFacts {
  rentalId: string;
  itemId: string;
  renterId: string;
  ownerId: string;
  from: string;
  to: string;
}

/** The kinds a rental's events cause. */
export type RentalKind = Extract<NotificationKind, 'rentalConfirmed' | 'rentalCompleted' | 'rentalCancelled'>;

/**
 * Tells the owner and the renter that a rental was confirmed, returned and settled, or
 * cancelled. `now` says which year needs no mention.
 */
export function rentalNotices(
  kind: RentalKind,
  rental: RentalFacts,
  title: string | undefined,
  now: Date,
): [owner: NotificationDraft, renter: NotificationDraft] {
  const period = periodText(new Date(rental.from), new Date(rental.to), now);
  const owned = itemName(title);
  const Owned = capitalized(owned);
  const rented = itemName(title, 'the item');
  const Rented = capitalized(rented);
  const texts: Record<RentalKind, { owner: [title: string, body: string]; renter: [title: string, body: string] }> = {
    rentalConfirmed: {
      owner: [
        `${Owned} was rented for ${period}`,
        `The rental is confirmed. You will be paid when ${owned} is returned.`,
      ],
      renter: [`Your rental of ${rented} is confirmed`, `${Rented} is booked for you for ${period}.`],
    },
    rentalCompleted: {
      owner: [
        `Rental of ${owned} settled`,
        `${Owned} was returned; the rental for ${period} is settled to your wallet.`,
      ],
      renter: [`Your rental of ${rented} is complete`, `${Rented} was returned; your deposit was released.`],
    },
    rentalCancelled: {
      owner: [`Rental of ${owned} cancelled`, `The rental for ${period} was cancelled; those dates are free again.`],
      renter: [
        `Your rental of ${rented} was cancelled`,
        `The rental for ${period} was cancelled and the hold on your wallet released.`,
      ],
    },
  };
  const data = (role: 'owner' | 'renter') => ({
    rentalId: rental.rentalId,
    itemId: rental.itemId,
    from: rental.from,
    to: rental.to,
    role,
  });
  const { owner, renter } = texts[kind];
  return [
    { userId: rental.ownerId, kind, title: owner[0], body: owner[1], data: data('owner') },
    { userId: rental.renterId, kind, title: renter[0], body: renter[1], data: data('renter') },
  ];
}
