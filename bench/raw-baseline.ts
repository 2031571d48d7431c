/**
 * The throughput baseline: a bare Hono app on @hono/node-server with postgres.js doing the
 * same statements as inventory's getItem / createItem, and nothing else (no validation, no
 * auth, no middleware, no logging, no metrics). It answers with the same JSON shape as the
 * platform so both send the same bytes. Run as its own process by bench/http-throughput.ts.
 *
 * Env: DATABASE_URL (schema migrated by the bench), PORT, DB_POOL_MAX.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import postgres from 'postgres';
import { serveBaseline } from './serve-baseline.ts';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
// The same postgres.js options as src/shared/db/database.ts (openPostgres).
const sql = postgres(url, {
  max: Number(process.env.DB_POOL_MAX ?? 20),
  idle_timeout: 30,
  connect_timeout: 10,
  onnotice: () => {},
});
const OWNER = randomUUID();

interface Row {
  id: string;
  owner_id: string;
  title: string;
  description: string;
  category: string;
  currency: string;
  daily_price_amount: number;
  deposit_amount: number;
  condition: string;
  status: string;
  reservation_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const view = (r: Row) => ({
  id: r.id,
  ownerId: r.owner_id,
  title: r.title,
  description: r.description,
  category: r.category,
  dailyPrice: { amount: r.daily_price_amount, currency: r.currency },
  deposit: { amount: r.deposit_amount, currency: r.currency },
  condition: r.condition,
  status: r.status,
  reservationId: r.reservation_id,
  version: r.version,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const columns = sql`id, owner_id, title, description, category, currency, daily_price_amount, deposit_amount, condition, status, reservation_id, version, created_at, updated_at`;

const app = new Hono();
app.get('/readyz', async (c) => {
  await sql`select 1`;
  return c.json({ status: 'ready' });
});
app.get('/v1/items/:id', async (c) => {
  const [row] = await sql<Row[]>`select ${columns} from inventory.items where id = ${c.req.param('id')}`;
  if (!row) return c.json({ title: 'Not found' }, 404);
  c.header('ETag', `"${row.version}"`);
  return c.json(view(row));
});
app.post('/v1/items', async (c) => {
  const b = (await c.req.json()) as {
    title: string;
    description?: string;
    category: string;
    dailyPrice: { amount: number; currency: string };
    deposit: { amount: number };
    condition: string;
  };
  const [row] = await sql<Row[]>`
    insert into inventory.items (id, owner_id, title, description, category, currency, daily_price_amount, deposit_amount, condition)
    values (${randomUUID()}, ${OWNER}, ${b.title}, ${b.description ?? ''}, ${b.category}, ${b.dailyPrice.currency}, ${b.dailyPrice.amount}, ${b.deposit.amount}, ${b.condition})
    returning ${columns}`;
  c.header('ETag', `"${row!.version}"`);
  return c.json(view(row!), 201);
});

serveBaseline(app, sql, 3100);
