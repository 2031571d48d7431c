import { z } from 'zod';
import { changeFeedInput, changeFeedOutput } from '../../shared/bus/change-feed.ts';
import { defineContract, op } from '../../shared/bus/contract.ts';

/** The largest single amount, in minor units (1,000,000.00 of a two-decimal currency). */
export const MAX_AMOUNT = 100_000_000;

/**
 * ISO 4217 codes of currencies in circulation (no funds codes, precious metals, SDR or test
 * codes). Spelled out rather than read from Intl, whose list differs between Node and Bun.
 */
const circulating = new Set(
  (
    'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN ' +
    'BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL ' +
    'GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW ' +
    'KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN ' +
    'NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK ' +
    'SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU ' +
    'UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL'
  ).split(' '),
);

/** An ISO 4217 code of a currency in circulation (no funds, metals or test codes). */
export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code of 3 uppercase letters', abort: true })
  .refine((code) => circulating.has(code), 'is not an ISO 4217 currency in circulation')
  .describe('ISO 4217, e.g. EUR');

const amount = z.int().min(1).max(MAX_AMOUNT).describe('Minor units, e.g. 1500 for 15.00');
const userId = z.uuid();
const authorizationId = z.uuid().describe('As returned by authorizePayment');
/** A caller-chosen key that makes a command safe to repeat: the first result is returned to every repeat. */
const operationId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII without spaces')
  .describe('Idempotency key: a uuid or any unique string, e.g. "rental-<id>:authorize"');

export const accountKindSchema = z.enum(['wallet', 'holds', 'platform_fees', 'external_cash']);
export const transactionKindSchema = z.enum(['top_up', 'authorization', 'capture', 'void', 'refund']);
export const authorizationStatusSchema = z.enum(['authorized', 'captured', 'voided', 'refunded']);

/** A user's money in one currency. */
export const walletBalanceSchema = z
  .object({
    currency: z.string(),
    balance: z.int().describe('available + held'),
    available: z.int().describe('Spendable now'),
    held: z.int().describe('Authorized for rentals, not yet captured or released'),
  })
  .meta({ id: 'WalletBalance' });

export const walletSchema = z
  .object({
    userId,
    balances: z.array(walletBalanceSchema).describe('One per currency the user has ever held, by currency code'),
  })
  .meta({ id: 'Wallet' });

/** One ledger transaction as the caller sees it: only the entries on the caller's own accounts. */
export const walletTransactionSchema = z
  .object({
    id: z.uuid(),
    kind: transactionKindSchema,
    currency: z.string(),
    amount: z.int().describe("Signed change to the caller's balance (available + held)"),
    entries: z.array(z.object({ account: z.enum(['wallet', 'holds']), amount: z.int().describe('Signed') })),
    authorizationId: z.uuid().nullable(),
    reference: z.string().nullable().describe('The rental of an authorization, or the provider charge of a top-up'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'WalletTransaction' });

export const topUpSchema = z
  .object({
    id: z.uuid().describe('The ledger transaction'),
    amount: z.int(),
    currency: z.string(),
    providerReference: z.string(),
    wallet: walletBalanceSchema.describe('The balance in this currency after the top-up'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'TopUp' });

/**
 * Money held from a payer for one purpose (a rental): authorized (held) → captured (fee to
 * the payee, the rest back to the payer) → refunded; or authorized → voided (all back).
 */
export const authorizationSchema = z
  .object({
    id: z.uuid(),
    reference: z.string(),
    payerId: userId,
    payeeId: userId.nullable().describe('Set at capture'),
    currency: z.string(),
    amount: z.int().describe('Held from the payer at authorization'),
    status: authorizationStatusSchema,
    capturedAmount: z.int().describe('Charged to the payer at capture (0 before)'),
    platformFeeAmount: z.int().describe('The part of capturedAmount kept by the platform'),
    releasedAmount: z.int().describe("Returned to the payer's wallet at capture or void"),
    refundedAmount: z.int().describe('Returned to the payer by a refund'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'PaymentAuthorization' });

export const payments = defineContract({
  name: 'payments',
  version: 1,
  errors: {
    insufficientFunds: 'unprocessable',
    currencyMismatch: 'conflict',
    currencyNotSupported: 'unprocessable',
    operationKeyReused: 'conflict',
    authorizationNotFound: 'not_found',
    illegalTransition: 'conflict',
    captureExceedsAuthorization: 'unprocessable',
    paymentDeclined: 'unprocessable',
    // Not 'unavailable': a provider outage must not make this service look unhealthy to its callers.
    providerUnavailable: 'timeout',
    // Settlement by two-phase commit (rentals coordinates): a GID that is not this participant's,
    // a database without prepared transactions (again not 'unavailable': the service is healthy),
    // and a prepared settlement found finished the other way than decided (alert an operator).
    invalidTransactionId: 'invalid',
    settlementUnsupported: 'timeout',
    settlementOutcomeMismatch: 'internal',
    // One-phase settlement asked of a payments that does not share the coordinator's transaction (another process or database).
    notInSharedTransaction: 'conflict',
  },
  ops: {
    // The caller's balances, one per currency.
    getWallet: op({
      kind: 'query',
      summary: 'Get my wallet',
      input: z.strictObject({}),
      output: walletSchema,
      http: { method: 'get', path: '/v1/wallet', status: 200, auth: 'required', tag: 'Wallet' },
    }),
    // The caller's ledger history, newest first, a page at a time.
    listWalletTransactions: op({
      kind: 'query',
      summary: 'List my wallet transactions',
      input: z.strictObject({
        limit: z.coerce.number().int().min(1).max(100).default(20),
        cursor: z
          .string()
          .regex(/^[1-9]\d{0,17}$/, 'must be a nextCursor from a previous page')
          .optional()
          .describe('nextCursor of the previous page'),
      }),
      output: z.object({
        transactions: z.array(walletTransactionSchema),
        nextCursor: z.string().nullable().describe('null on the last page'),
      }),
      http: {
        method: 'get',
        path: '/v1/wallet/transactions',
        status: 200,
        auth: 'required',
        tag: 'Wallet',
        query: ['limit', 'cursor'],
      },
    }),
    // Adds money to the caller's wallet, charged through the payment provider; a failed charge moves no money.
    // Send an Idempotency-Key to retry safely: a repeat is answered from the first response, never charged twice.
    topUpWallet: op({
      kind: 'command',
      summary: 'Top up my wallet',
      input: z.strictObject({ amount, currency: currencySchema }),
      output: topUpSchema,
      errors: ['currencyNotSupported', 'paymentDeclined', 'providerUnavailable'],
      http: {
        method: 'post',
        path: '/v1/wallet/top-ups',
        status: 201,
        auth: 'required',
        tag: 'Wallet',
        idempotencyKey: true,
      },
    }),
    // Rental saga: holds the rental's total (fee + deposit) in the payer's wallet; repeats of an operationId return the first result.
    authorizePayment: op({
      kind: 'command',
      internal: true,
      summary: 'Hold money from a payer',
      input: z.strictObject({
        operationId,
        payerId: userId,
        amount: amount.describe('The most that capture may charge: the rental fee plus the deposit, in minor units'),
        currency: currencySchema,
        reference: z.string().min(1).max(200).describe('What the money is for, e.g. the rental id'),
      }),
      output: authorizationSchema,
      errors: ['insufficientFunds', 'operationKeyReused'],
      idempotent: true,
    }),
    // Rental settlement in one step: feeAmount to the payee (less the platform fee), the rest of the hold back to the payer.
    capturePayment: op({
      kind: 'command',
      internal: true,
      summary: 'Settle an authorization',
      input: z.strictObject({
        operationId,
        authorizationId,
        payeeId: userId.describe('Who is paid: the item owner'),
        currency: currencySchema.describe("Must be the authorization's currency"),
        feeAmount: z
          .int()
          .min(0)
          .max(MAX_AMOUNT)
          .describe(
            'Charged to the payer (the rental fee, plus any deduction from the deposit); at most the authorized amount',
          ),
        platformFeeBasisPoints: z
          .int()
          .min(0)
          .max(10_000)
          .default(0)
          .describe('Share of feeAmount kept by the platform, in 1/100 %, rounded half up'),
      }),
      output: authorizationSchema,
      errors: [
        'authorizationNotFound',
        'illegalTransition',
        'currencyMismatch',
        'captureExceedsAuthorization',
        'operationKeyReused',
      ],
      idempotent: true,
    }),
    // Rental saga compensation: the whole hold back to the payer; voiding a voided authorization succeeds unchanged.
    voidAuthorization: op({
      kind: 'command',
      internal: true,
      summary: 'Release a hold',
      input: z.strictObject({ operationId, authorizationId }),
      output: authorizationSchema,
      errors: ['authorizationNotFound', 'illegalTransition', 'operationKeyReused'],
      idempotent: true,
    }),
    // Reverses a capture in full: the payee and the platform give back the captured amount; refunding a refunded authorization succeeds unchanged.
    refundPayment: op({
      kind: 'command',
      internal: true,
      summary: 'Refund a captured payment',
      input: z.strictObject({ operationId, authorizationId }),
      output: authorizationSchema,
      errors: ['authorizationNotFound', 'illegalTransition', 'insufficientFunds', 'operationKeyReused'],
      idempotent: true,
    }),
    // One authorization as it is now.
    getAuthorization: op({
      kind: 'query',
      internal: true,
      summary: 'Get an authorization',
      input: z.strictObject({ authorizationId }),
      output: authorizationSchema,
      errors: ['authorizationNotFound'],
    }),
    // Rental settlement, two-phase commit: captures as capturePayment does, in a transaction PREPAREd under gid (the vote);
    // nothing shows until finishPrepared commits it. Repeating a prepared gid returns the same vote.
    prepareSettlement: op({
      kind: 'command',
      internal: true,
      summary: 'Prepare a settlement (two-phase commit)',
      input: z.strictObject({
        gid: z.string().min(1).max(200).describe('The two-phase transaction id, sl:<coordinator>:payments:<uuid>'),
        operationId,
        authorizationId,
        payeeId: userId.describe('Who is paid: the item owner'),
        currency: currencySchema.describe("Must be the authorization's currency"),
        feeAmount: z.int().min(0).max(MAX_AMOUNT).describe('Charged to the payer; at most the authorized amount'),
        platformFeeBasisPoints: z
          .int()
          .min(0)
          .max(10_000)
          .default(0)
          .describe('Share of feeAmount kept by the platform, in 1/100 %, rounded half up'),
      }),
      output: z.object({
        gid: z.string(),
        xid: z.string().describe('The prepared transaction (xid8), to verify its outcome when finishing'),
        alreadyPrepared: z.boolean(),
      }),
      errors: [
        'authorizationNotFound',
        'illegalTransition',
        'currencyMismatch',
        'captureExceedsAuthorization',
        'operationKeyReused',
        'invalidTransactionId',
        'settlementUnsupported',
      ],
    }),
    // Rental settlement, one phase: the capture runs inside the coordinator's own local transaction, which payments shares (same process, same database); it commits or rolls back with it.
    settleInSharedTransaction: op({
      kind: 'command',
      internal: true,
      summary: "Settle inside the coordinator's transaction (one-phase)",
      input: z.strictObject({
        transactionId: z.string().min(1).max(200).describe("The coordinator's one-phase transaction id"),
        operationId,
        authorizationId,
        payeeId: userId.describe('Who is paid: the item owner'),
        currency: currencySchema.describe("Must be the authorization's currency"),
        feeAmount: z.int().min(0).max(MAX_AMOUNT).describe('Charged to the payer; at most the authorized amount'),
        platformFeeBasisPoints: z
          .int()
          .min(0)
          .max(10_000)
          .default(0)
          .describe('Share of feeAmount kept by the platform, in 1/100 %, rounded half up'),
      }),
      output: z.object({ authorizationId: z.uuid(), status: z.string() }),
      errors: [
        'authorizationNotFound',
        'illegalTransition',
        'currencyMismatch',
        'captureExceedsAuthorization',
        'operationKeyReused',
        'notInSharedTransaction',
      ],
    }),
    // Rental settlement, two-phase commit: commits or rolls back a prepared settlement as the coordinator decided; repeating it succeeds.
    finishPrepared: op({
      kind: 'command',
      internal: true,
      summary: 'Finish a prepared settlement (two-phase commit)',
      input: z.strictObject({
        gid: z.string().min(1).max(200),
        decision: z.enum(['commit', 'rollback']),
        xid: z
          .string()
          .regex(/^\d{1,20}$/)
          .optional()
          .describe("The participant's vote, to verify a settlement that is already gone"),
      }),
      output: z.object({ gid: z.string(), outcome: z.enum(['committed', 'rolled-back', 'absent']) }),
      errors: ['invalidTransactionId', 'settlementUnsupported', 'settlementOutcomeMismatch'],
      idempotent: true,
    }),
    // System callers (the warehouse ETL): ledger entries posted in a window with their transaction and account, in change order.
    exportLedger: op({
      kind: 'query',
      internal: true,
      // A page of up to 5,000 rows: more than one hop's default timeout under load.
      timeoutMs: 30_000,
      summary: 'Ledger entries posted in a window (system)',
      input: changeFeedInput,
      output: changeFeedOutput(
        z.object({
          entryId: z.int(),
          transactionId: z.uuid(),
          kind: z.string().describe('top_up, authorization, capture, void, refund'),
          accountId: z.uuid(),
          accountKind: z.string().describe('wallet, holds, platform_fees, external_cash'),
          accountOwnerId: z.uuid().nullable(),
          currency: z.string(),
          amount: z.int().describe("Signed, minor units; a transaction's entries sum to zero"),
          authorizationId: z.uuid().nullable(),
          reference: z.string().nullable(),
          createdAt: z.iso.datetime(),
        }),
      ),
    }),
  },
});
