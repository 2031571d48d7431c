import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { CallContext } from '../bus/context.ts';
import type { Event } from '../bus/contract.ts';
import type { Tx } from '../db/database.ts';
import { childSpan, formatTraceparent, type TraceContext } from '../observability/trace.ts';
import { activeSpan, startSpan, tracingOn } from '../observability/tracing.ts';
import type { Envelope } from './envelope.ts';
import type { OutboxTable } from './tables.ts';

/** The channel a relay LISTENs on; the payload names the module whose outbox has rows. */
export const OUTBOX_CHANNEL = 'shareloop_outbox';

/** Context of the message that caused this one, when publishing from a consumer. */
export interface Cause {
  messageId: string;
  correlationId: string;
}

/** Transactions that already NOTIFY the relay: one notification per transaction, whatever it publishes. */
const notified = new WeakSet<Tx>();

/**
 * Publishes events of one module. Only inside a database transaction: the event is written
 * to the module's outbox with the state change, and the relay is woken when it commits.
 */
export function createPublisher(outbox: OutboxTable, module: string) {
  return async function publish<P extends z.ZodType>(
    tx: Tx,
    event: Event<P>,
    payload: z.input<P>,
    meta: { aggregateId: string; ctx?: CallContext; cause?: Cause; notify?: boolean },
  ): Promise<Envelope> {
    if (event.module !== module) throw new Error(`${module} cannot publish ${event.name}`);
    const parsed = event.payload.parse(payload);
    const messageId = randomUUID();
    // While tracing, the write is a producer span and the envelope records it (consumers hang under it).
    const parent = tracingOn() ? (meta.ctx?.trace ?? activeSpan()) : meta.ctx?.trace;
    const trace: TraceContext | undefined = tracingOn() && parent ? childSpan(parent) : parent;
    const span =
      trace && trace !== parent
        ? startSpan(
            `publish ${event.name}`,
            trace,
            parent?.spanId,
            { 'messaging.destination.name': event.name, 'messaging.message.id': messageId },
            'producer',
          )
        : undefined;
    const envelope: Envelope = {
      messageId,
      event: event.name,
      version: event.version,
      aggregateId: meta.aggregateId,
      correlationId: meta.cause?.correlationId ?? meta.ctx?.requestId ?? messageId,
      causationId: meta.cause?.messageId ?? meta.ctx?.requestId ?? messageId,
      occurredAt: new Date().toISOString(),
      ...(meta.ctx?.caller ? { userId: meta.ctx.caller.userId } : {}),
      ...(trace ? { traceparent: formatTraceparent(trace) } : {}),
    };
    try {
      // A transaction that NOTIFYs cannot be prepared (2PC): such callers pass notify: false and
      // wake the relay once committed.
      if (meta.notify === false || notified.has(tx))
        await tx
          .insert(outbox)
          .values({ messageId, event: event.name, aggregateId: meta.aggregateId, envelope, payload: parsed });
      else {
        // The transaction's first event NOTIFYs the relay in the same statement as its INSERT.
        notified.add(tx);
        await tx.execute(sql`with notified as (select pg_notify(${OUTBOX_CHANNEL}, ${module}))
          insert into ${outbox} (message_id, event, aggregate_id, envelope, payload)
          select ${messageId}::uuid, ${event.name}, ${meta.aggregateId}, ${JSON.stringify(envelope)}::jsonb,
            ${JSON.stringify(parsed)}::jsonb from notified`);
      }
    } catch (error) {
      span?.setStatus({ code: 2, message: (error as Error).message });
      throw error;
    } finally {
      span?.end();
    }
    return envelope;
  };
}

export type Publish = ReturnType<typeof createPublisher>;
