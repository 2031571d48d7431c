import type { z } from 'zod';
import type { itemStatusSchema } from '../contract.ts';

export type ItemStatus = z.infer<typeof itemStatusSchema>;

/** What can happen to an item's availability. */
export type ItemAction = 'reserve' | 'release' | 'markInUse' | 'markReturned' | 'retire';

/** An item's availability and the reservation holding it (while reserved or in use). */
export interface Holding {
  status: ItemStatus;
  reservationId: string | null;
}

interface Rule {
  from: readonly ItemStatus[];
  to: ItemStatus;
  /** Saga steps act only on their own reservation's hold. */
  needsHold: boolean;
  /** When the outcome the caller wants is already true, so a repeat succeeds unchanged. */
  alreadyDone?: (item: Holding, heldByCaller: boolean) => boolean;
}

/**
 * The availability state machine: available → reserved → in_use → available, with release
 * (reserved → available) as the saga's compensation and retire only from available, so an
 * item promised to or held by a renter cannot vanish. Retired is final.
 */
const rules: Record<ItemAction, Rule> = {
  reserve: {
    from: ['available'],
    to: 'reserved',
    needsHold: false,
    alreadyDone: (item, mine) => mine && item.status === 'reserved',
  },
  markInUse: {
    from: ['reserved'],
    to: 'in_use',
    needsHold: true,
    alreadyDone: (item, mine) => mine && item.status === 'in_use',
  },
  // "This reservation no longer holds the item" is what release and return ensure.
  release: { from: ['reserved'], to: 'available', needsHold: true, alreadyDone: (_item, mine) => !mine },
  markReturned: { from: ['in_use'], to: 'available', needsHold: true, alreadyDone: (_item, mine) => !mine },
  retire: { from: ['available'], to: 'retired', needsHold: false },
};

export type StatusPlan =
  | { kind: 'move'; from: ItemStatus; to: ItemStatus; reservationId: string | null }
  | { kind: 'unchanged' }
  | { kind: 'illegal'; from: ItemStatus; to: ItemStatus }
  | { kind: 'heldByOther'; status: ItemStatus };

/** The status an action leads to. */
export function targetOf(action: ItemAction): ItemStatus {
  return rules[action].to;
}

/** Every status change the machine allows, as [from, to, action]. */
export function allowedMoves(): [ItemStatus, ItemStatus, ItemAction][] {
  return (Object.entries(rules) as [ItemAction, Rule][]).flatMap(([action, rule]) =>
    rule.from.map((from) => [from, rule.to, action] as [ItemStatus, ItemStatus, ItemAction]),
  );
}

/** Who holds an item: the reservation, while it is reserved or in use. */
export function holderOf(item: Holding): string | null {
  return item.status === 'reserved' || item.status === 'in_use' ? item.reservationId : null;
}

/** Decides what an action does to an item, asked for by a reservation (saga steps) or by no one (retire). */
export function planStatusChange(item: Holding, action: ItemAction, reservationId?: string): StatusPlan {
  const rule = rules[action];
  const holder = holderOf(item);
  const heldByCaller = reservationId !== undefined && holder === reservationId;
  if (rule.alreadyDone?.(item, heldByCaller)) return { kind: 'unchanged' };
  if (rule.needsHold && holder !== null && !heldByCaller) return { kind: 'heldByOther', status: item.status };
  if (!rule.from.includes(item.status)) return { kind: 'illegal', from: item.status, to: rule.to };
  const holds = rule.to === 'reserved' || rule.to === 'in_use';
  return { kind: 'move', from: item.status, to: rule.to, reservationId: holds ? (reservationId ?? null) : null };
}
