/**
 * The rentals baseline: the same business effects as a rental and its return, done the
 * simplest way — bare Hono + postgres.js, one database, one local transaction each, no
 * modules, bus, saga, outbox, events, two-phase commit, auth or validation. A rental checks
 * the item is free and the renter can pay, records the rental, moves fee + deposit from the
 * wallet to holds in a ledger, and marks the item in use; a return pays the fee to the owner,
 * gives the deposit back and frees the item. Run as its own process by bench/rentals.ts.
 *
 * It counts the statements it sends (GET /metrics: db_queries_total), like the platform does.
 * Env: DATABASE_URL, PORT, DB_POOL_MAX.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import postgres from 'postgres';
import { serveBaseline } from './serve-baseline.ts';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
let statements = 0;
// The same postgres.js options as src/shared/db/database.ts (openPostgres).
const sql = postgres(url, {
  max: Number(process.env.DB_POOL_MAX ?? 20),
  idle_timeout: 30,
  connect_timeout: 10,
  onnotice: () => {},
  debug: () => void statements++,
});

await sql.unsafe(`
  create schema if not exists raw;
  create table if not exists raw.items (id uuid primary key, owner_id uuid not null, status text not null default 'available',
    daily_price int not null, deposit int not null, currency text not null);
  create table if not exists raw.rentals (id uuid primary key, item_id uuid not null, owner_id uuid not null, renter_id uuid not null,
    period_from timestamptz not null, period_to timestamptz not null, status text not null, fee int not null, deposit int not null,
    created_at timestamptz not null default now(), completed_at timestamptz);
  create table if not exists raw.entries (id bigserial primary key, txn uuid not null, account text not null, amount int not null, currency text not null);
  create index if not exists raw_entries_account on raw.entries (account);
`);

const DAY_MS = 86_400_000;
const problem = (status: number, title: string) =>
  new Response(JSON.stringify({ title, status }), { status, headers: { 'content-type': 'application/problem+json' } });

const app = new Hono();
app.get('/readyz', async (c) => {
  await sql`select 1`;
  return c.json({ status: 'ready' });
});
app.get('/metrics', (c) => c.text(`db_queries_total ${statements}\n`));

// Seeds an owner's item and a funded renter (the bench's setup; not measured).
app.post('/seed', async (c) => {
  const { items, funds } = (await c.req.json()) as { items: number; funds: number };
  const ownerId = randomUUID();
  const renterId = randomUUID();
  const ids = Array.from({ length: items }, () => randomUUID());
  await sql`insert into raw.items ${sql(ids.map((id) => ({ id, owner_id: ownerId, daily_price: 1000, deposit: 5000, currency: 'EUR' })))}`;
  await sql`insert into raw.entries (txn, account, amount, currency) values (${randomUUID()}, ${`wallet:${renterId}`}, ${funds}, 'EUR'), (${randomUUID()}, 'cash', ${-funds}, 'EUR')`;
  return c.json({ ownerId, renterId, itemIds: ids });
});

app.post('/v1/rentals', async (c) => {
  const renterId = c.req.header('x-user')!;
  const { itemId, from, to } = (await c.req.json()) as { itemId: string; from: string; to: string };
  const days = Math.max(1, Math.ceil((Date.parse(to) - Date.parse(from)) / DAY_MS));
  const rental = await sql.begin(async (tx) => {
    const [item] = await tx<
      { owner_id: string; status: string; daily_price: number; deposit: number; currency: string }[]
    >`
      select owner_id, status, daily_price, deposit, currency from raw.items where id = ${itemId} for update`;
    if (!item || item.status !== 'available') return undefined;
    const fee = item.daily_price * days;
    const total = fee + item.deposit;
    const [wallet] = await tx<
      { balance: number }[]
    >`select coalesce(sum(amount), 0)::int as balance from raw.entries where account = ${`wallet:${renterId}`}`;
    if (wallet!.balance < total) return undefined;
    const id = randomUUID();
    const [row] =
      await tx`insert into raw.rentals (id, item_id, owner_id, renter_id, period_from, period_to, status, fee, deposit)
      values (${id}, ${itemId}, ${item.owner_id}, ${renterId}, ${from}, ${to}, 'active', ${fee}, ${item.deposit}) returning *`;
    const txn = randomUUID();
    await tx`insert into raw.entries (txn, account, amount, currency) values
      (${txn}, ${`wallet:${renterId}`}, ${-total}, ${item.currency}), (${txn}, ${`holds:${renterId}`}, ${total}, ${item.currency})`;
    await tx`update raw.items set status = 'in_use' where id = ${itemId}`;
    return row;
  });
  return rental ? c.json(rental, 201) : problem(409, 'Item unavailable or not enough funds');
});

app.post('/v1/rentals/:id/return', async (c) => {
  const rental = await sql.begin(async (tx) => {
    const [row] = await tx<{ item_id: string; owner_id: string; renter_id: string; fee: number; deposit: number }[]>`
      update raw.rentals set status = 'completed', completed_at = now() where id = ${c.req.param('id')} and status = 'active' returning *`;
    if (!row) return undefined;
    const txn = randomUUID();
    await tx`insert into raw.entries (txn, account, amount, currency) values
      (${txn}, ${`holds:${row.renter_id}`}, ${-(row.fee + row.deposit)}, 'EUR'), (${txn}, ${`wallet:${row.owner_id}`}, ${row.fee}, 'EUR'),
      (${txn}, ${`wallet:${row.renter_id}`}, ${row.deposit}, 'EUR')`;
    await tx`update raw.items set status = 'available' where id = ${row.item_id}`;
    return row;
  });
  return rental ? c.json(rental) : problem(409, 'Not an active rental');
});

serveBaseline(app, sql, 3101);
