import type { z } from 'zod';
import type { notificationKindSchema } from '../contract.ts';

export type NotificationKind = z.infer<typeof notificationKindSchema>;

/** A notification about to be written: who it is for and what it says. */
export interface NotificationDraft {
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  data: Record<string, unknown>;
}

type ItemStatus = 'available' | 'reserved' | 'in_use' | 'retired';

/** A move of an item through its availability states, as inventory reports it. */
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

/** An item's title as quoted in a sentence, shortened to keep notifications readable. */
export function itemName(title: string | undefined): string {
  if (!title?.trim()) return 'your item';
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
    itemReleased: [`Reservation of ${name} cancelled`, `The reservation of ${name} was cancelled; it is available again.`],
  };
  const [heading, body] = texts[kind];
  return { userId: move.ownerId, kind, title: heading, body, data: { itemId: move.itemId, from: move.from, to: move.to, reservationId: move.reservationId } };
}
