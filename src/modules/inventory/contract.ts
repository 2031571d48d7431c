import { z } from 'zod';
import { changeFeedInput, changeFeedOutput } from '../../shared/bus/change-feed.ts';
import { defineContract, event, op } from '../../shared/bus/contract.ts';
import { currencySchema } from '../payments/contract.ts';

/** An amount in minor units (cents) of an ISO 4217 currency. */
export const moneySchema = z
  .strictObject({
    amount: z.int().min(0).max(100_000_000).describe('Minor units, e.g. 1500 for 15.00'),
    // Only currencies payments accepts (its contract's list), so every listed item can be paid for.
    currency: currencySchema.describe('ISO 4217 currency in circulation that payments accepts, e.g. EUR'),
  })
  .meta({ id: 'Money' });

export const itemStatusSchema = z
  .enum(['listed', 'unlisted', 'retired'])
  .describe(
    'listed: rentable for any free period; unlisted: paused by its owner (no new bookings, existing ones stay valid); retired: withdrawn for good',
  );
/**
 * A status as history and events record it: a listing status, or one an item had before
 * listing statuses (available, reserved, in_use), which all mean listed.
 */
export const recordedStatusSchema = z.enum(['listed', 'unlisted', 'retired', 'available', 'reserved', 'in_use']);

/** The listing status a recorded status means (available, reserved and in_use were all listed). */
export function listingStatusOf(recorded: z.infer<typeof recordedStatusSchema>): z.infer<typeof itemStatusSchema> {
  return recorded === 'unlisted' || recorded === 'retired' ? recorded : 'listed';
}
export const itemConditionSchema = z.enum(['new', 'like_new', 'good', 'fair', 'worn']);

const title = z.string().trim().min(1).max(120);
const description = z.string().trim().max(4000);
const category = z
  .string()
  .max(40)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug such as power-tools')
  .describe('Category slug, e.g. power-tools');
const version = z.int().min(1).max(2_147_483_647);
/** If-Match as sent over HTTP ("3", 3, W/"3", *) or a plain version number from the bus. */
const ifMatch = z
  .union([
    version,
    z.string().regex(/^\s*(?:\*|(?:W\/)?"[1-9]\d{0,8}"|[1-9]\d{0,8})\s*$/, 'must be an item version such as "3"'),
  ])
  .optional()
  .describe('The item version (its ETag) the change is based on; a stale one fails with 412');

/** An item listed for lending or rent. */
export const itemSchema = z
  .object({
    id: z.uuid(),
    ownerId: z.uuid(),
    title: z.string(),
    description: z.string(),
    category: z.string(),
    dailyPrice: moneySchema,
    deposit: moneySchema,
    condition: itemConditionSchema,
    status: itemStatusSchema,
    version: version.describe('Starts at 1 and grows by 1 on every change; sent as the ETag'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Item' });

/** What an owner describes when listing an item, as recorded in its history and events. */
const listingFacts = z.object({
  ownerId: z.uuid(),
  title: z.string(),
  description: z.string(),
  category: z.string(),
  dailyPrice: moneySchema,
  deposit: moneySchema,
  condition: itemConditionSchema,
});
/** The listing fields an edit changed, and only those. */
const listingChanges = listingFacts.omit({ ownerId: true }).partial();
/** A move through the listing state machine (unlist, relist, retire), or an older availability move. */
const statusMove = z.object({
  from: recordedStatusSchema,
  to: recordedStatusSchema,
  reservationId: z
    .uuid()
    .nullable()
    .describe('The reservation an older availability move concerned; null for listing moves'),
});

const historyEntry = {
  version: version.describe('The item version this change produced'),
  actorId: z
    .uuid()
    .nullable()
    .describe(
      "The user who made the change; null for platform calls without a caller, and for anyone but the item's owner and admins",
    ),
  occurredAt: z.iso.datetime(),
};

/** One change in an item's append-only history; replaying them in version order rebuilds the item. */
export const itemHistoryEventSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('created'), ...historyEntry, data: listingFacts }),
    z
      .object({
        type: z.literal('baseline'),
        ...historyEntry,
        data: listingFacts.extend({
          status: recordedStatusSchema,
          reservationId: z.uuid().nullable(),
          createdAt: z.iso.datetime(),
        }),
      })
      .describe('The whole state of an item listed before history was kept, at the version its history starts from'),
    z.object({ type: z.literal('updated'), ...historyEntry, data: listingChanges }),
    z.object({ type: z.literal('status_changed'), ...historyEntry, data: statusMove }),
  ])
  .meta({ id: 'ItemHistoryEvent' });

const itemId = z.strictObject({ id: z.uuid() });
const statusChange = z.strictObject({ id: z.uuid(), ifMatch });

export const inventory = defineContract({
  name: 'inventory',
  // 2.0: an item's status is its listing status (listed / unlisted / retired), no longer available / reserved / in_use.
  version: 2,
  minor: 0,
  errors: {
    itemNotFound: 'not_found',
    notOwner: 'forbidden',
    versionMismatch: 'precondition_failed',
    illegalTransition: 'conflict',
    itemRetired: 'conflict',
    itemUnlisted: 'conflict',
    currencyMismatch: 'invalid',
    invalidCursor: 'invalid',
  },
  ops: {
    // Browses items: listed and unlisted ones, retired ones only when asked for by status.
    listItems: op({
      kind: 'query',
      summary: 'List items',
      input: z.strictObject({
        limit: z.coerce.number().int().min(1).max(100).default(20),
        offset: z.coerce.number().int().min(0).max(100_000).default(0),
        category: category.optional(),
        status: itemStatusSchema
          .optional()
          .describe('Without it, listed and unlisted items (every status but retired)'),
        ownerId: z.uuid().optional(),
        currency: moneySchema.shape.currency.optional(),
        sort: z
          .enum(['createdAt', 'dailyPrice', 'title'])
          .default('createdAt')
          .describe('dailyPrice compares amounts only; filter by currency to compare like with like'),
        order: z.enum(['asc', 'desc']).default('desc'),
      }),
      output: z.object({ items: z.array(itemSchema), total: z.int(), limit: z.int(), offset: z.int() }),
      http: {
        method: 'get',
        path: '/v1/items',
        status: 200,
        auth: 'none',
        tag: 'Items',
        query: ['limit', 'offset', 'category', 'status', 'ownerId', 'currency', 'sort', 'order'],
        // Offset pages shift under inserts and count every match: /v2/items pages by cursor instead.
        deprecated: { since: '2026-12-07', sunset: '2027-06-30', successor: '/v2/items' },
      },
    }),
    // Browses listed items newest (or oldest) first, a page at a time by an opaque cursor: stable while items are listed.
    browseItems: op({
      kind: 'query',
      summary: 'Browse items by cursor',
      input: z.strictObject({
        limit: z.coerce.number().int().min(1).max(100).default(20),
        cursor: z.string().max(200).optional().describe('nextCursor of the previous page; without it, the first page'),
        category: category.optional(),
        status: itemStatusSchema.optional().describe('Without it, every status but retired'),
        ownerId: z.uuid().optional(),
        currency: moneySchema.shape.currency.optional(),
        order: z.enum(['asc', 'desc']).default('desc').describe('By listing time: desc is newest first'),
      }),
      output: z
        .object({
          items: z.array(itemSchema),
          nextCursor: z.string().nullable().describe('Pass it as cursor for the next page; null on the last page'),
        })
        .meta({ id: 'ItemPage' }),
      errors: ['invalidCursor'],
      http: {
        method: 'get',
        path: '/v2/items',
        status: 200,
        auth: 'none',
        tag: 'Items',
        query: ['limit', 'cursor', 'category', 'status', 'ownerId', 'currency', 'order'],
      },
    }),
    // One item, whatever its status; other modules read items through it.
    getItem: op({
      kind: 'query',
      summary: 'Get an item',
      input: itemId,
      output: itemSchema,
      errors: ['itemNotFound'],
      http: {
        method: 'get',
        path: '/v1/items/{id}',
        status: 200,
        auth: 'none',
        tag: 'Items',
        params: ['id'],
        etag: 'version',
      },
    }),
    // Every change ever made to an item, oldest first: the audit trail its current state is rebuilt from. Who made a change (and which reservation a move concerned) only its owner and admins see.
    getItemHistory: op({
      kind: 'query',
      summary: "Get an item's change history",
      input: itemId,
      output: z.object({ itemId: z.uuid(), events: z.array(itemHistoryEventSchema) }).meta({ id: 'ItemHistory' }),
      errors: ['itemNotFound'],
      http: {
        method: 'get',
        path: '/v1/items/{id}/history',
        status: 200,
        auth: 'optional',
        tag: 'Items',
        params: ['id'],
      },
    }),
    // Lists a new item owned by the caller, available at once.
    createItem: op({
      kind: 'command',
      summary: 'List a new item',
      input: z.strictObject({
        title,
        description: description.default(''),
        category,
        dailyPrice: moneySchema,
        deposit: moneySchema,
        condition: itemConditionSchema,
      }),
      output: itemSchema,
      errors: ['currencyMismatch'],
      http: {
        method: 'post',
        path: '/v1/items',
        status: 201,
        auth: 'required',
        tag: 'Items',
        etag: 'version',
        idempotencyKey: true,
      },
    }),
    // Owner or admin edits an item's listing; a change that is already in effect is a no-op.
    updateItem: op({
      kind: 'command',
      summary: 'Edit an item',
      input: z.strictObject({
        id: z.uuid(),
        ifMatch,
        title: title.optional(),
        description: description.optional(),
        category: category.optional(),
        dailyPrice: moneySchema.optional(),
        deposit: moneySchema.optional(),
        condition: itemConditionSchema.optional(),
      }),
      output: itemSchema,
      errors: ['itemNotFound', 'notOwner', 'versionMismatch', 'itemRetired', 'currencyMismatch'],
      idempotent: true,
      http: {
        method: 'patch',
        path: '/v1/items/{id}',
        status: 200,
        auth: 'required',
        tag: 'Items',
        params: ['id'],
        headers: { ifMatch: 'if-match' },
        etag: 'version',
      },
    }),
    // Owner or admin pauses new bookings of a listed item; its existing bookings stay valid. Repeating it succeeds unchanged.
    unlistItem: op({
      kind: 'command',
      summary: 'Unlist an item (pause new bookings)',
      input: statusChange,
      output: itemSchema,
      errors: ['itemNotFound', 'notOwner', 'versionMismatch', 'itemRetired'],
      idempotent: true,
      http: {
        method: 'post',
        path: '/v1/items/{id}/unlist',
        status: 200,
        auth: 'required',
        tag: 'Items',
        params: ['id'],
        headers: { ifMatch: 'if-match' },
        etag: 'version',
        description:
          'The item leaves catalog search and cannot be rented (409 inventory.itemUnlisted) until relisted. Bookings made before stay valid: they are handed over, returned and settled as usual.',
      },
    }),
    // Owner or admin lists an unlisted item again. Repeating it succeeds unchanged; a retired item stays retired.
    relistItem: op({
      kind: 'command',
      summary: 'Relist an unlisted item',
      input: statusChange,
      output: itemSchema,
      errors: ['itemNotFound', 'notOwner', 'versionMismatch', 'itemRetired'],
      idempotent: true,
      http: {
        method: 'post',
        path: '/v1/items/{id}/relist',
        status: 200,
        auth: 'required',
        tag: 'Items',
        params: ['id'],
        headers: { ifMatch: 'if-match' },
        etag: 'version',
        description: 'A retired item cannot be relisted (409 inventory.itemRetired).',
      },
    }),
    // Owner or admin withdraws a listed or unlisted item for good (soft delete: it stays readable).
    retireItem: op({
      kind: 'command',
      summary: 'Retire (delete) an item',
      input: statusChange,
      output: itemSchema,
      errors: ['itemNotFound', 'notOwner', 'versionMismatch', 'illegalTransition'],
      http: {
        method: 'delete',
        path: '/v1/items/{id}',
        status: 204,
        auth: 'required',
        tag: 'Items',
        params: ['id'],
        headers: { ifMatch: 'if-match' },
        description:
          'Final: a retired item stays readable but can never be rented, edited or relisted. Its bookings not handed over yet are cancelled with a full refund (fee and deposit); a rental already handed over continues and is returned and settled as usual.',
      },
    }),
    // System callers (the warehouse ETL): item history appended in a window, a page at a time in change order.
    exportItemHistory: op({
      kind: 'query',
      internal: true,
      // A page of up to 5,000 rows: more than one hop's default timeout under load.
      timeoutMs: 30_000,
      summary: 'Item history appended in a window (system)',
      input: changeFeedInput,
      output: changeFeedOutput(z.object({ historyId: z.int(), itemId: z.uuid(), event: itemHistoryEventSchema })),
    }),
  },
  events: {
    // An owner listed a new item; it is available from now on.
    itemCreated: event({
      summary: 'An item was listed',
      version: 1,
      payload: z.object({ itemId: z.uuid(), version, ...listingFacts.shape }),
    }),
    // An owner or admin edited an item's listing; carries only the fields that changed.
    itemUpdated: event({
      summary: "An item's listing changed",
      version: 1,
      payload: z.object({ itemId: z.uuid(), ownerId: z.uuid(), version, changes: listingChanges }),
    }),
    // An item moved through the listing state machine (unlist, relist, retire); events before listing statuses carry availability moves.
    itemStatusChanged: event({
      summary: "An item's listing status changed",
      version: 1,
      payload: z.object({ itemId: z.uuid(), ownerId: z.uuid(), version, ...statusMove.shape }),
    }),
  },
});
