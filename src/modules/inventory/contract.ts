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

export const itemStatusSchema = z.enum(['available', 'reserved', 'in_use', 'retired']);
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
const expectedVersion = version.optional().describe('Fail with versionMismatch unless the item is at this version');
const reservationId = z.uuid().describe('The reservation (rental) that holds the item');

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
    status: itemStatusSchema.describe(
      'Its listing: available (listed, rentable for any free period), retired (withdrawn); reserved and in_use are legacy states rentals no longer set (bookings are in the rental calendar)',
    ),
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
/** A move through the availability state machine. */
const statusMove = z.object({
  from: itemStatusSchema,
  to: itemStatusSchema,
  reservationId: z
    .uuid()
    .nullable()
    .describe('The reservation the move concerns: the one reserving, using, released or returned; null for retire'),
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
          status: itemStatusSchema,
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
const sagaStep = z.strictObject({ id: z.uuid(), reservationId, expectedVersion });

export const inventory = defineContract({
  name: 'inventory',
  version: 1,
  minor: 1,
  errors: {
    itemNotFound: 'not_found',
    notOwner: 'forbidden',
    versionMismatch: 'precondition_failed',
    illegalTransition: 'conflict',
    itemRetired: 'conflict',
    reservationMismatch: 'conflict',
    currencyMismatch: 'invalid',
    invalidCursor: 'invalid',
  },
  ops: {
    // Browses listed items: retired ones only when asked for by status.
    listItems: op({
      kind: 'query',
      summary: 'List items',
      input: z.strictObject({
        limit: z.coerce.number().int().min(1).max(100).default(20),
        offset: z.coerce.number().int().min(0).max(100_000).default(0),
        category: category.optional(),
        status: itemStatusSchema.optional().describe('Without it, every status but retired'),
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
    // Owner or admin withdraws an available item for good (soft delete: it stays readable).
    retireItem: op({
      kind: 'command',
      summary: 'Retire (delete) an item',
      input: z.strictObject({ id: z.uuid(), ifMatch }),
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
      },
    }),
    // Rental saga: holds an available item for a reservation; repeating it for the same reservation succeeds.
    reserveItem: op({
      kind: 'command',
      internal: true,
      summary: 'Reserve an item for a reservation',
      input: sagaStep,
      output: itemSchema,
      errors: ['itemNotFound', 'versionMismatch', 'illegalTransition'],
      idempotent: true,
    }),
    // Rental saga compensation: frees an item reserved by this reservation; succeeds unchanged when it holds nothing.
    releaseItem: op({
      kind: 'command',
      internal: true,
      summary: 'Release a reserved item',
      input: sagaStep,
      output: itemSchema,
      errors: ['itemNotFound', 'versionMismatch', 'illegalTransition'],
      idempotent: true,
    }),
    // Rental saga: the renter has the item; repeating it for the same reservation succeeds.
    markItemInUse: op({
      kind: 'command',
      internal: true,
      summary: 'Mark a reserved item as in use',
      input: sagaStep,
      output: itemSchema,
      errors: ['itemNotFound', 'versionMismatch', 'illegalTransition', 'reservationMismatch'],
      idempotent: true,
    }),
    // Return flow: the item is back and available again; succeeds unchanged when this reservation no longer holds it.
    markItemReturned: op({
      kind: 'command',
      internal: true,
      summary: 'Mark an item in use as returned',
      input: sagaStep,
      output: itemSchema,
      errors: ['itemNotFound', 'versionMismatch', 'illegalTransition'],
      idempotent: true,
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
    // An item moved through the availability state machine (reserve, release, mark in use, mark returned, retire).
    itemStatusChanged: event({
      summary: "An item's availability changed",
      version: 1,
      payload: z.object({ itemId: z.uuid(), ownerId: z.uuid(), version, ...statusMove.shape }),
    }),
  },
});
