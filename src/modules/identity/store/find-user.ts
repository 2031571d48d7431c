import { eq } from 'drizzle-orm';
import type { Db } from '../../../shared/db/database.ts';
import { identity } from '../contract.ts';
import { users } from '../db/schema.ts';

/** Loads a user row or raises identity.userNotFound. */
export async function findUser(db: Db, id: string) {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  if (!row) throw identity.error('userNotFound', `No user ${id}.`);
  return row;
}
