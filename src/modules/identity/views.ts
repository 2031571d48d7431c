import type { z } from 'zod';
import type { userSchema } from './contract.ts';
import type { users } from './db/schema.ts';

/** The contract's view of a user row (never the password hash). */
export function toUser(row: typeof users.$inferSelect): z.output<typeof userSchema> {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    role: row.role,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
