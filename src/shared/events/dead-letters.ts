import { and, desc, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import type { Handler } from '../bus/bus.ts';
import { op, type Op } from '../bus/contract.ts';
import { AppError, platformErrors } from '../bus/errors.ts';
import type { Db } from '../db/database.ts';
import type { Envelope, EventMessage } from './envelope.ts';
import type { DeadLetterTable } from './tables.ts';

const deadLetterSchema = z.object({
  id: z.uuid(),
  consumer: z.string(),
  messageId: z.uuid(),
  event: z.string(),
  envelope: z.record(z.string(), z.unknown()),
  payload: z.unknown(),
  error: z.string(),
  attempts: z.number().int(),
  createdAt: z.iso.datetime(),
  replayedAt: z.iso.datetime().nullable(),
});

/** The operator's view of a module's dead letters: list, inspect, replay (admin only). */
export function deadLetterOps(module: string) {
  const base = `/v1/admin/${module}/dead-letters`;
  return {
    // Lists messages a consumer of this module gave up on, newest first.
    listDeadLetters: op({
      kind: 'query',
      summary: `List ${module} dead letters (admin)`,
      input: z.strictObject({
        pending: z.enum(['true', 'false']).optional().describe('Only those not replayed yet'),
        limit: z.coerce.number().int().min(1).max(100).default(50),
      }),
      output: z.object({ items: z.array(deadLetterSchema) }),
      errors: ['notAdmin'],
      http: {
        method: 'get',
        path: base,
        status: 200,
        auth: 'required',
        tag: 'Operations',
        query: ['pending', 'limit'],
      },
    }),
    // One dead letter with its envelope, payload, error and attempt count.
    getDeadLetter: op({
      kind: 'query',
      summary: `Inspect a ${module} dead letter (admin)`,
      input: z.strictObject({ id: z.uuid() }),
      output: deadLetterSchema,
      errors: ['notAdmin', 'deadLetterNotFound'],
      http: { method: 'get', path: `${base}/{id}`, status: 200, auth: 'required', tag: 'Operations', params: ['id'] },
    }),
    // Applies the message again through its consumer; the inbox makes a replay idempotent.
    replayDeadLetter: op({
      kind: 'command',
      summary: `Replay a ${module} dead letter (admin)`,
      input: z.strictObject({ id: z.uuid() }),
      output: z.object({ id: z.uuid(), outcome: z.enum(['applied', 'duplicate']) }),
      errors: ['notAdmin', 'deadLetterNotFound', 'replayFailed'],
      idempotent: true,
      http: {
        method: 'post',
        path: `${base}/{id}/replay`,
        status: 200,
        auth: 'required',
        tag: 'Operations',
        params: ['id'],
      },
    }),
  };
}

/** Errors the dead-letter ops declare; spread into the module contract's errors. */
export const deadLetterErrors = {
  notAdmin: 'forbidden',
  deadLetterNotFound: 'not_found',
  replayFailed: 'unprocessable',
} as const;

/** Runs a dead letter's message through its consumer again (provided by the platform). */
export type Replay = (consumer: string, message: EventMessage) => Promise<'applied' | 'duplicate'>;

/** What the dead-letter handlers need on their module's deps. */
export interface DeadLetterDeps {
  deadLetters: { db: Db; table: DeadLetterTable; replay: Replay; module: string };
}

type Ops = ReturnType<typeof deadLetterOps>;

const toView = (row: DeadLetterTable['$inferSelect']) => ({
  ...row,
  envelope: row.envelope as Record<string, unknown>,
  createdAt: row.createdAt.toISOString(),
  replayedAt: row.replayedAt?.toISOString() ?? null,
});

function requireAdmin(role: string | undefined, module: string) {
  if (role !== 'admin') throw new AppError(`${module}.notAdmin`, 'forbidden', 'Only admins can manage dead letters.');
}

async function find(deps: DeadLetterDeps['deadLetters'], id: string) {
  const [row] = await deps.db.select().from(deps.table).where(eq(deps.table.id, id));
  if (!row) throw new AppError(`${deps.module}.deadLetterNotFound`, 'not_found', `No dead letter ${id}.`);
  return row;
}

/** Handlers of the dead-letter ops, for any module whose deps carry DeadLetterDeps. */
export const deadLetterHandlers: {
  listDeadLetters: Handler<Ops['listDeadLetters'] & Op, DeadLetterDeps>;
  getDeadLetter: Handler<Ops['getDeadLetter'] & Op, DeadLetterDeps>;
  replayDeadLetter: Handler<Ops['replayDeadLetter'] & Op, DeadLetterDeps>;
} = {
  async listDeadLetters(input, { deps, caller }) {
    const { db, table, module } = deps.deadLetters;
    requireAdmin(caller?.role, module);
    const rows = await db
      .select()
      .from(table)
      .where(input.pending === 'true' ? isNull(table.replayedAt) : undefined)
      .orderBy(desc(table.createdAt))
      .limit(input.limit);
    return { items: rows.map(toView) };
  },
  async getDeadLetter(input, { deps, caller }) {
    requireAdmin(caller?.role, deps.deadLetters.module);
    return toView(await find(deps.deadLetters, input.id));
  },
  async replayDeadLetter(input, { deps, caller }) {
    const { db, table, replay, module } = deps.deadLetters;
    requireAdmin(caller?.role, module);
    const row = await find(deps.deadLetters, input.id);
    let outcome: 'applied' | 'duplicate';
    try {
      outcome = await replay(row.consumer, { envelope: row.envelope as Envelope, payload: row.payload });
    } catch (error) {
      if (error instanceof AppError && error.code === platformErrors.notFound().code) throw error;
      // The cause stays in the logs: consumer errors can carry internals.
      throw new AppError(
        `${module}.replayFailed`,
        'unprocessable',
        `Consumer ${row.consumer} failed again; the message stays dead-lettered.`,
        { cause: error },
      );
    }
    await db
      .update(table)
      .set({ replayedAt: new Date() })
      .where(and(eq(table.id, row.id), isNull(table.replayedAt)));
    return { id: row.id, outcome };
  },
};
