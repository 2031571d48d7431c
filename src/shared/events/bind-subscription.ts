import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { EventMessage } from './envelope.ts';
import { childSpan, parseTraceparent, type TraceContext } from '../observability/trace.ts';
import { inSpan, startSpan, tracingOn } from '../observability/tracing.ts';
import type { BoundSubscription, SubscriptionSpec } from './subscription.ts';
import type { DeadLetterTable, InboxTable } from './tables.ts';
import { upcastPayload } from './upcast.ts';

/**
 * Binds a subscription to its module's database: what the effect needs from elsewhere is
 * fetched first (prepare), then the inbox row and the effect commit in one transaction (a
 * redelivered message has no second effect); dead letters land in the module's dead_letters table.
 */
export function bindSubscription(options: {
  module: string;
  spec: SubscriptionSpec;
  db: Db;
  inbox: InboxTable;
  deadLetters: DeadLetterTable;
  log: Logger;
  metrics: Metrics;
}): BoundSubscription {
  const { spec, db, inbox, deadLetters, metrics } = options;
  const consumer = `${options.module}.${spec.name}`;
  const applyOnce = async (message: EventMessage) => {
    const payload = spec.event.payload.parse(upcastPayload(spec.event, message));
    // Fetched before the transaction: a consumer never holds its inbox transaction over a bus call.
    const prepared = spec.prepare ? await spec.prepare({ envelope: message.envelope, payload }) : undefined;
    const outcome = await db.transaction(async (tx) => {
      const fresh = await tx
        .insert(inbox)
        .values({ consumer, messageId: message.envelope.messageId })
        .onConflictDoNothing()
        .returning();
      if (fresh.length === 0) return 'duplicate' as const;
      await spec.handle({ envelope: message.envelope, payload }, tx, prepared);
      return 'applied' as const;
    });
    metrics.eventsConsumed.inc({ consumer, outcome });
    metrics.eventLag.set({ consumer }, Math.max(0, (Date.now() - Date.parse(message.envelope.occurredAt)) / 1000));
    return outcome;
  };
  return {
    consumer,
    module: options.module,
    event: spec.event.name,
    async apply(message) {
      if (!tracingOn()) return applyOnce(message);
      const parent = parseTraceparent(message.envelope.traceparent);
      const self = childSpan(parent);
      const span = consumeSpan(consumer, message, self, parent?.spanId);
      try {
        // The consumer's transaction hangs under its span.
        const outcome = await inSpan(self, () => applyOnce(message));
        span?.setAttribute('shareloop.outcome', outcome);
        return outcome;
      } catch (error) {
        span?.setStatus({ code: 2, message: (error as Error).message });
        throw error;
      } finally {
        span?.end();
      }
    },
    async deadLetter(message: EventMessage, error: unknown, attempts: number) {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      await db.insert(deadLetters).values({
        id: randomUUID(),
        consumer,
        messageId: message.envelope.messageId,
        event: message.envelope.event,
        envelope: message.envelope,
        payload: message.payload,
        error: text.slice(0, 2000),
        attempts,
      });
      metrics.eventsConsumed.inc({ consumer, outcome: 'dead_lettered' });
      options.log.error(
        { consumer, messageId: message.envelope.messageId, attempts, error: text },
        'message dead-lettered',
      );
    },
  };
}

/** A consumer span in the trace of the request that published the event (its envelope's traceparent). */
function consumeSpan(consumer: string, message: EventMessage, self: TraceContext, parentSpanId: string | undefined) {
  return startSpan(
    `consume ${consumer}`,
    self,
    parentSpanId,
    { 'messaging.consumer.group.name': consumer, 'messaging.message.id': message.envelope.messageId },
    'consumer',
  );
}
