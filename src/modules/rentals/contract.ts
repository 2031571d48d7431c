import { z } from 'zod';
import { changeFeedInput, changeFeedOutput } from '../../shared/bus/change-feed.ts';
import { defineContract, event, op } from '../../shared/bus/contract.ts';
import { dayOrInstant } from '../../shared/time/day-or-instant.ts';

/** How long one rental may last (default of RENTALS_MAX_DAYS). */
export const MAX_RENTAL_DAYS = 90;
/** How far ahead a rental may start (default of RENTALS_MAX_ADVANCE_DAYS). */
export const MAX_ADVANCE_DAYS = 365;

export const rentalStatusSchema = z
  .enum(['requested', 'confirmed', 'active', 'compensating', 'cancelled', 'completed'])
  .describe(
    'requested: being set up; confirmed: booked (the period and fee + deposit are held), waiting for the handover; active: handed over, the renter has the item; compensating: being undone (failed, cancelled or declined); cancelled: undone, nothing held; completed: returned and settled',
  );

export const sagaStepNameSchema = z.enum([
  'reserveItem',
  'authorizePayment',
  'confirmRental',
  'markItemInUse',
  'voidAuthorization',
  'releaseItem',
  'cancelRental',
  'settle',
]);

const rentalMoney = z
  .object({
    amount: z.int().min(0).describe('Minor units, e.g. 1500 for 15.00'),
    currency: z.string().describe('ISO 4217, e.g. EUR'),
  })
  .meta({ id: 'RentalMoney' });

/** One step of a rental's saga as it was persisted, with its timestamps. */
export const sagaStepSchema = z
  .object({
    name: sagaStepNameSchema,
    kind: z.enum(['forward', 'compensation', 'settlement']),
    status: z
      .enum(['started', 'waiting', 'succeeded', 'failed', 'skipped'])
      .describe('waiting: the handover step waits for the start of the period (or the owner)'),
    attempts: z.int(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    error: z.object({ code: z.string(), detail: z.string() }).nullable(),
  })
  .meta({ id: 'RentalSagaStep' });

/** A rental of an item for a period, as renter and owner see it. */
export const rentalSchema = z
  .object({
    id: z.uuid(),
    itemId: z.uuid(),
    ownerId: z.uuid(),
    renterId: z.uuid(),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    days: z.int().describe('Days charged: the period rounded up to whole days'),
    status: rentalStatusSchema,
    dailyPrice: rentalMoney,
    fee: rentalMoney.describe('dailyPrice × days, paid to the owner at return'),
    deposit: rentalMoney.describe('Held with the fee and given back at return'),
    total: rentalMoney.describe('fee + deposit: what is held from the renter while the rental is active'),
    authorizationId: z.uuid().nullable().describe("The payment hold on the renter's wallet"),
    failure: z
      .object({ code: z.string(), detail: z.string() })
      .nullable()
      .describe('Why the rental was undone, when it was'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    confirmedAt: z.iso.datetime().nullable(),
    handedOverAt: z.iso
      .datetime()
      .nullable()
      .describe('When the renter got the item: the owner recorded the handover, or the period started'),
    cancelledAt: z.iso.datetime().nullable(),
    completedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Rental' });

export const rentalDetailsSchema = rentalSchema
  .extend({ steps: z.array(sagaStepSchema).describe('Saga steps in the order they started') })
  .meta({ id: 'RentalDetails' });

const rentalId = z.strictObject({ id: z.uuid() });
const gid = z.string().min(1).max(200).describe('A two-phase transaction id, sl:<coordinator>:<participant>:<uuid>');

/** What other modules learn about a rental: ids and its period, half-open [from, to). */
const rentalFacts = z.object({
  rentalId: z.uuid(),
  itemId: z.uuid(),
  renterId: z.uuid(),
  ownerId: z.uuid(),
  from: z.iso.datetime(),
  to: z.iso.datetime(),
});

export const rentals = defineContract({
  name: 'rentals',
  version: 1,
  minor: 1,
  errors: {
    rentalNotFound: 'not_found',
    itemNotFound: 'not_found',
    invalidPeriod: 'invalid',
    periodTooLong: 'unprocessable',
    startsTooFarAhead: 'unprocessable',
    handoverTooEarly: 'conflict',
    cannotHandOver: 'conflict',
    notHandedOver: 'conflict',
    ownItem: 'unprocessable',
    amountTooLarge: 'unprocessable',
    itemUnavailable: 'conflict',
    // The owner unlisted the item: no new bookings until they relist it (existing ones stay valid).
    itemUnlisted: 'conflict',
    periodTaken: 'conflict',
    requestKeyReused: 'unprocessable',
    insufficientFunds: 'unprocessable',
    paymentRejected: 'unprocessable',
    // Not 'unavailable': a step that failed must not make the rentals service look unhealthy to its callers.
    rentalFailed: 'timeout',
    rentalPending: 'timeout',
    notParticipant: 'forbidden',
    notCancellable: 'conflict',
    notReturnable: 'conflict',
    settlementRejected: 'conflict',
    settlementUnavailable: 'unavailable',
    settlementFailed: 'timeout',
    settlementInDoubt: 'timeout',
  },
  ops: {
    // Books an item for a period: holds the period, holds fee + deposit from the renter's wallet, confirms; the handover follows at the start. All undone on failure.
    createRental: op({
      kind: 'command',
      // A saga (or a two-phase commit) of several hops: more than one hop's default timeout.
      timeoutMs: 20_000,
      summary: 'Rent an item',
      input: z.strictObject({
        itemId: z.uuid(),
        from: dayOrInstant('start').describe(
          `Start of the rental: a whole day (2026-12-20 = from 00:00 UTC) or an ISO date-time with offset; today at the earliest, at most ${MAX_ADVANCE_DAYS} days ahead (RENTALS_MAX_ADVANCE_DAYS)`,
        ),
        to: dayOrInstant('end').describe(
          `End of the rental: a whole day (2026-12-22 = through the end of that day, until 00:00 UTC the next) or an ISO date-time with offset (exclusive); after from, at most ${MAX_RENTAL_DAYS} days later (RENTALS_MAX_DAYS)`,
        ),
        requestKey: z
          .string()
          .regex(/^[\x21-\x7E]{1,255}$/)
          .optional()
          .describe(
            "The request's Idempotency-Key: one renter's requests with one key get one rental, however often they are retried",
          ),
      }),
      output: rentalDetailsSchema,
      errors: [
        'itemNotFound',
        'invalidPeriod',
        'periodTooLong',
        'startsTooFarAhead',
        'ownItem',
        'amountTooLarge',
        'itemUnavailable',
        'itemUnlisted',
        'periodTaken',
        'insufficientFunds',
        'paymentRejected',
        'rentalFailed',
        'rentalPending',
        'requestKeyReused',
      ],
      http: {
        method: 'post',
        path: '/v1/rentals',
        status: 201,
        auth: 'required',
        tag: 'Rentals',
        idempotencyKey: 'requestKey',
      },
    }),
    // One rental with its saga steps; only its renter, its owner or an admin see it.
    getRental: op({
      kind: 'query',
      summary: 'Get a rental',
      input: rentalId,
      output: rentalDetailsSchema,
      errors: ['rentalNotFound'],
      http: { method: 'get', path: '/v1/rentals/{id}', status: 200, auth: 'required', tag: 'Rentals', params: ['id'] },
    }),
    // The caller's rentals as renter, as owner, or both, newest first.
    listRentals: op({
      kind: 'query',
      summary: 'List my rentals',
      input: z.strictObject({
        role: z
          .enum(['renter', 'owner', 'any'])
          .default('any')
          .describe('Rentals where I am the renter, the owner, or either'),
        status: rentalStatusSchema.optional(),
        limit: z.coerce.number().int().min(1).max(100).default(20),
        offset: z.coerce.number().int().min(0).max(100_000).default(0),
      }),
      output: z.object({ rentals: z.array(rentalSchema), total: z.int(), limit: z.int(), offset: z.int() }),
      http: {
        method: 'get',
        path: '/v1/rentals',
        status: 200,
        auth: 'required',
        tag: 'Rentals',
        query: ['role', 'status', 'limit', 'offset'],
      },
    }),
    // Before the handover the renter cancels or the owner declines (an admin may do either): the whole hold (fee + deposit) goes back and the period is freed.
    cancelRental: op({
      kind: 'command',
      // A saga (or a two-phase commit) of several hops: more than one hop's default timeout.
      timeoutMs: 20_000,
      summary: 'Cancel (renter) or decline (owner) a rental before the handover; full refund',
      input: rentalId,
      output: rentalDetailsSchema,
      errors: ['rentalNotFound', 'notParticipant', 'notCancellable', 'rentalPending'],
      idempotent: true,
      http: {
        method: 'post',
        path: '/v1/rentals/{id}/cancel',
        status: 200,
        auth: 'required',
        tag: 'Rentals',
        params: ['id'],
      },
    }),
    // The owner (or an admin) records that the renter picked the item up: the rental becomes active. Allowed from the start of the period; at the start it happens by itself.
    handOverRental: op({
      kind: 'command',
      timeoutMs: 20_000,
      summary: 'Record the handover (pick-up) of a rented item',
      input: rentalId,
      output: rentalDetailsSchema,
      errors: ['rentalNotFound', 'notParticipant', 'handoverTooEarly', 'cannotHandOver', 'rentalPending'],
      idempotent: true,
      http: {
        method: 'post',
        path: '/v1/rentals/{id}/handover',
        status: 200,
        auth: 'required',
        tag: 'Rentals',
        params: ['id'],
      },
    }),
    // The item is back: completes the rental and, atomically with it, pays the fee to the owner and gives the deposit back.
    returnRental: op({
      kind: 'command',
      // A saga (or a two-phase commit) of several hops: more than one hop's default timeout.
      timeoutMs: 20_000,
      summary: 'Return a rented item and settle',
      input: rentalId,
      output: rentalDetailsSchema,
      errors: [
        'rentalNotFound',
        'notParticipant',
        'notReturnable',
        'notHandedOver',
        'settlementRejected',
        'settlementFailed',
        'settlementUnavailable',
        'settlementInDoubt',
      ],
      http: {
        method: 'post',
        path: '/v1/rentals/{id}/return',
        status: 200,
        auth: 'required',
        tag: 'Rentals',
        params: ['id'],
      },
    }),
    // System callers (the catalog's rebuild): every rental that was ever confirmed, with its status now, a page at a time in id order.
    listBookings: op({
      kind: 'query',
      internal: true,
      summary: 'Rentals that hold or held their item (system)',
      input: z.strictObject({
        after: z
          .uuid()
          .optional()
          .describe('rentalId of the last booking of the previous page; omit for the first page'),
        limit: z.int().min(1).max(500).default(100),
      }),
      output: z.object({
        bookings: z.array(rentalFacts.extend({ status: rentalStatusSchema })),
        next: z.uuid().nullable().describe('Pass as after for the next page; null on the last page'),
      }),
    }),
    // identity, before deleting an account: how many rentals the user is party to (renter or owner) that are handed over and not yet returned.
    countHandedOverRentals: op({
      kind: 'query',
      internal: true,
      summary: "A user's rentals handed over and not yet returned (system, admins)",
      input: z.strictObject({ userId: z.uuid() }),
      output: z.object({ count: z.int().min(0) }),
    }),
    // Two-phase commit: a participant asks how a settlement it holds prepared was decided (its orphan recovery).
    twoPhaseDecision: op({
      kind: 'command',
      internal: true,
      summary: 'Decision of a settlement transaction',
      input: z.strictObject({ gid }),
      output: z.object({ decision: z.enum(['commit', 'abort', 'unknown']) }),
      errors: ['settlementUnavailable'],
      idempotent: true,
    }),
    // System callers (the warehouse ETL): rentals changed in a window (status, milestones), a page at a time in change order.
    exportRentals: op({
      kind: 'query',
      internal: true,
      // A page of up to 5,000 rows: more than one hop's default timeout under load.
      timeoutMs: 30_000,
      summary: 'Rentals changed in a window (system)',
      input: changeFeedInput,
      output: changeFeedOutput(
        rentalSchema
          .pick({
            id: true,
            itemId: true,
            ownerId: true,
            renterId: true,
            from: true,
            to: true,
            days: true,
            dailyPrice: true,
            fee: true,
            deposit: true,
            createdAt: true,
            confirmedAt: true,
            cancelledAt: true,
            completedAt: true,
          })
          .extend({ status: z.string().describe('As rentals names it now; the warehouse keeps it as text') }),
      ),
    }),
  },
  events: {
    // A rental was confirmed: the item is promised to the renter for the period.
    rentalConfirmed: event({ summary: 'A rental was confirmed', version: 1, payload: rentalFacts }),
    // A confirmed rental was called off or undone: the period is free again.
    rentalCancelled: event({ summary: 'A rental was cancelled', version: 1, payload: rentalFacts }),
    // The item came back and the rental was settled: inventory makes the item available again.
    rentalCompleted: event({ summary: 'A rental was returned and settled', version: 1, payload: rentalFacts }),
  },
});
