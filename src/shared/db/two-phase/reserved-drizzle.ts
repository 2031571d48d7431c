import { drizzle } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import type { Db } from '../database.ts';

type Scope = <T>(fn: (client: postgres.Sql) => Promise<T>) => Promise<T>;

/**
 * A drizzle database bound to one reserved connection that is already inside a transaction.
 *
 * `drizzle({ client: reserved })` alone fails: postgres.js gives a reserved connection no
 * `options` (drizzle reads `client.options.parsers`), no `begin` and no `savepoint`. So the
 * reserved client borrows its pool's options (the connection parses with exactly that object;
 * drizzle sets its transparent date parsers there, as it does for any pool it wraps), and
 * `db.transaction()` / nested `tx.transaction()` run as SAVEPOINTs on the same connection, since
 * the outer transaction is the one that will be prepared.
 */
export function drizzleOnReserved(pool: postgres.Sql, reserved: postgres.ReservedSql): Db {
  let next = 0;
  const client = reserved as postgres.ReservedSql & {
    options: postgres.Sql['options'];
    begin: Scope;
    savepoint: Scope;
  };
  const savepoint: Scope = async (fn) => {
    const name = `sl_2pc_sp_${++next}`;
    await reserved.unsafe(`savepoint ${name}`);
    try {
      const result = await fn(client);
      await reserved.unsafe(`release savepoint ${name}`);
      return result;
    } catch (error) {
      await reserved.unsafe(`rollback to savepoint ${name}`);
      throw error;
    }
  };
  Object.assign(client, { options: pool.options, begin: savepoint, savepoint });
  return drizzle({ client }) as unknown as Db;
}
