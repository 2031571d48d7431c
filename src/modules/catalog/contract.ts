import { z } from 'zod';
import { changeFeedInput, changeFeedOutput } from '../../shared/bus/change-feed.ts';
import { dayOrInstant } from '../../shared/time/day-or-instant.ts';
import { defineContract, op } from '../../shared/bus/contract.ts';
import { deadLetterErrors, deadLetterOps } from '../../shared/events/dead-letters.ts';
import { itemConditionSchema, itemStatusSchema, moneySchema } from '../inventory/contract.ts';

const period = z.object({ from: z.iso.datetime(), to: z.iso.datetime() });

/** A listed item as the catalog shows it: the listing, its owner's name and its availability. */
export const catalogItemSchema = z
  .object({
    id: z.uuid(),
    ownerId: z.uuid(),
    ownerName: z
      .string()
      .nullable()
      .describe("The owner's display name; null while unknown or once the account is deleted"),
    title: z.string(),
    description: z.string(),
    category: z.string(),
    dailyPrice: moneySchema,
    deposit: moneySchema,
    condition: itemConditionSchema,
    status: itemStatusSchema,
    availability: z.object({
      availableNow: z
        .boolean()
        .describe('The item is listed and no booking (confirmed or handed over, not yet returned) covers this instant'),
      bookedPeriods: z.array(period).describe('Confirmed bookings that have not ended yet, soonest first (at most 5)'),
    }),
    version: z.int().describe('The item version the catalog has caught up with'),
    listedAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    rank: z.number().optional().describe('Text relevance (ts_rank), when the search has text'),
  })
  .meta({ id: 'CatalogItem' });

const category = z
  .string()
  .max(40)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug such as power-tools');
const amount = z.coerce.number().int().min(0).max(100_000_000);

const rebuildCounts = {
  items: z.int(),
  owners: z.int(),
  bookings: z
    .int()
    .optional()
    .describe('Rentals that hold or held an item, as rentals listed them (absent for rebuilds that predate bookings)'),
};

/** Where the read model stands: its generation, freshness and rebuilds. */
const rebuildStatusSchema = z
  .object({
    generation: z.int().describe('Bumped by every applied event; search cache keys include it'),
    lastEventAt: z.iso.datetime().nullable().describe('When the newest applied event happened'),
    lagSeconds: z.number().nullable().describe('Now minus lastEventAt'),
    running: z
      .object({
        rebuildId: z.uuid(),
        startedAt: z.iso.datetime(),
        phase: z.enum(['items', 'owners', 'bookings', 'swap']),
        ...rebuildCounts,
      })
      .nullable(),
    last: z
      .object({
        rebuildId: z.uuid(),
        outcome: z.enum(['completed', 'failed']),
        startedAt: z.iso.datetime(),
        finishedAt: z.iso.datetime(),
        ...rebuildCounts,
        error: z.string().optional(),
      })
      .nullable(),
  })
  .meta({ id: 'CatalogRebuildStatus' });

export const catalog = defineContract({
  name: 'catalog',
  // 2.0: listing statuses in search (listed / unlisted / retired); search reads an optional bearer token.
  version: 2,
  errors: {
    invalidCursor: 'invalid',
    invalidPriceRange: 'invalid',
    priceNeedsCurrency: 'invalid',
    invalidPeriod: 'invalid',
    rebuildInProgress: 'conflict',
    ...deadLetterErrors,
  },
  ops: {
    // Finds listed items by text, price, category and free dates; the read side of inventory, identity and rentals.
    searchItems: op({
      kind: 'query',
      summary: 'Search the catalog',
      input: z.strictObject({
        q: z
          .string()
          .max(200)
          .optional()
          .describe(
            'Words to find in title (weighs most), category, then description; "quotes", or and -not work as on search engines',
          ),
        category: category.optional(),
        minPrice: amount.optional().describe('Lowest daily price in minor units; needs currency'),
        maxPrice: amount.optional().describe('Highest daily price in minor units; needs currency'),
        currency: moneySchema.shape.currency.optional().describe('Only items priced in this currency'),
        availableFrom: dayOrInstant('start')
          .optional()
          .describe(
            'With availableTo: only items free for the whole period; a whole day (00:00 UTC) or an ISO date-time, read as rentals reads from',
          ),
        availableTo: dayOrInstant('end')
          .optional()
          .describe(
            'End of the period: a whole day (through its end) or an ISO date-time (exclusive), read as rentals reads to',
          ),
        status: itemStatusSchema
          .optional()
          .describe(
            'Without it, listed items only; unlisted or retired shows those instead. With availableFrom/availableTo only listed items can match (only they can be rented)',
          ),
        sort: z
          .enum(['relevance', 'newest', 'price_asc', 'price_desc'])
          .optional()
          .describe(
            'Default: relevance with q; without q, the browse order of the catalog-browse-order flag (newest unless an experiment says otherwise)',
          ),
        limit: z.coerce.number().int().min(1).max(50).default(20),
        cursor: z.string().min(1).max(500).optional().describe('nextCursor of the previous page, with the same search'),
      }),
      output: z.object({
        items: z.array(catalogItemSchema),
        nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
        sort: z.enum(['relevance', 'newest', 'price_asc', 'price_desc']).describe('The order applied'),
      }),
      errors: ['invalidCursor', 'invalidPriceRange', 'priceNeedsCurrency', 'invalidPeriod'],
      http: {
        method: 'get',
        path: '/v1/catalog/search',
        status: 200,
        // A signed-in searcher is known so that the browse-order experiment can place them.
        auth: 'optional',
        tag: 'Catalog',
        query: [
          'q',
          'category',
          'minPrice',
          'maxPrice',
          'currency',
          'availableFrom',
          'availableTo',
          'status',
          'sort',
          'limit',
          'cursor',
        ],
        description:
          'Eventually consistent: items appear shortly after inventory changes them. Keyset pagination: items listed while you page do not shift or repeat entries. Signing in is optional; a signed-in searcher may be in the browse-order experiment.',
      },
    }),
    // Operator: rebuilds the read model from inventory, identity and rentals in the background and swaps it in at once.
    rebuild: op({
      kind: 'command',
      summary: 'Rebuild the catalog from its sources (admin)',
      input: z.strictObject({}),
      output: z.object({ rebuildId: z.uuid(), startedAt: z.iso.datetime() }),
      errors: ['notAdmin', 'rebuildInProgress'],
      http: {
        method: 'post',
        path: '/v1/admin/catalog/rebuild',
        status: 202,
        auth: 'required',
        tag: 'Operations',
        description:
          'Starts a rebuild; follow it with GET /v1/admin/catalog/rebuild. Searches keep answering from the current catalog until the swap.',
      },
    }),
    // Operator: the read model's generation, lag and the running or last rebuild.
    getRebuildStatus: op({
      kind: 'query',
      summary: 'Catalog projection and rebuild status (admin)',
      input: z.strictObject({}),
      output: rebuildStatusSchema,
      errors: ['notAdmin'],
      http: { method: 'get', path: '/v1/admin/catalog/rebuild', status: 200, auth: 'required', tag: 'Operations' },
    }),
    // The warehouse's extract of experiment exposures: which variant of a flag each user was first shown.
    exportExposures: op({
      kind: 'query',
      internal: true,
      timeoutMs: 30_000,
      summary: 'Experiment exposures recorded in a window (system)',
      input: changeFeedInput,
      output: changeFeedOutput(
        z.object({
          id: z.uuid(),
          userId: z.uuid(),
          flag: z.string(),
          variant: z.string(),
          exposedAt: z.iso.datetime(),
        }),
      ),
    }),
    ...deadLetterOps('catalog'),
  },
});
