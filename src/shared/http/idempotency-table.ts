import { index, jsonb, text, timestamp, type PgSchema } from 'drizzle-orm/pg-core';
import type { StoredResponse } from './idempotency-store.ts';

/**
 * Idempotency-Key records kept in the database (when there is no Redis): one row per scoped
 * key, holding the first request's fingerprint and, once it finished, its response.
 * `expires_at` is the lease while `response` is null, then the end of retention; expired
 * rows count as absent and are purged.
 */
export function idempotencyKeysTable(schema: PgSchema) {
  return schema.table(
    'idempotency_keys',
    {
      key: text('key').primaryKey(),
      fingerprint: text('fingerprint').notNull(),
      response: jsonb('response').$type<StoredResponse>(),
      expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    },
    (t) => [index('idempotency_keys_expires_at_idx').on(t.expiresAt)],
  );
}

export type IdempotencyKeysTable = ReturnType<typeof idempotencyKeysTable>;
