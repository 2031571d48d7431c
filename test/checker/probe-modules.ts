import { fileURLToPath } from 'node:url';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineContract, event, op } from '../../src/shared/bus/contract.ts';
import type { Db } from '../../src/shared/db/database.ts';
import {
  deadLetterErrors,
  deadLetterHandlers,
  deadLetterOps,
  type DeadLetterDeps,
} from '../../src/shared/events/dead-letters.ts';
import { createPublisher, type Publish } from '../../src/shared/events/publish.ts';
import { on } from '../../src/shared/events/subscription.ts';
import { defineModule } from '../../src/shared/modules/define-module.ts';
import { probeEvents } from './probe-db.ts';
import { effects, fixes, sinkEvents } from './probesink-db.ts';

// Two test-only modules for the lost/duplicate checker: `probe` publishes numbered events
// through its outbox; `probesink` consumes them into an effect table whose unique
// constraint (consumer, message id) makes a duplicated effect impossible to hide.

export const probe = defineContract({
  name: 'probe',
  version: 1,
  errors: {},
  ops: {
    // Publishes event number n (poison ones fail in the sink until fixed).
    ping: op({
      kind: 'command',
      internal: true,
      summary: 'Publish a numbered probe event',
      input: z.object({ n: z.int(), poison: z.boolean().default(false) }),
      output: z.object({ messageId: z.uuid() }),
    }),
  },
  events: {
    // A numbered probe event.
    pinged: event({ summary: 'A probe event', version: 1, payload: z.object({ n: z.int(), poison: z.boolean() }) }),
  },
});

export const probesink = defineContract({
  name: 'probesink',
  version: 1,
  errors: { ...deadLetterErrors },
  ops: { ...deadLetterOps('probesink') },
});

const migrations = (name: string) => fileURLToPath(new URL(`./migrations/${name}`, import.meta.url));

export const probeModule = defineModule<typeof probe, { db: Db; publish: Publish }>({
  contract: probe,
  migrations: migrations('probe'),
  async setup(platform) {
    return { db: (await platform.database('probe')).db, publish: createPublisher(probeEvents.outbox, 'probe') };
  },
  events: probeEvents,
  handlers: {
    async ping(input, ctx) {
      return ctx.deps.db.transaction(async (tx) => {
        const envelope = await ctx.deps.publish(tx, probe.events.pinged, input, {
          aggregateId: `aggregate-${input.n % 16}`,
          ctx,
        });
        return { messageId: envelope.messageId };
      });
    },
  },
});

export const probeSinkModule = defineModule<typeof probesink, { db: Db } & DeadLetterDeps>({
  contract: probesink,
  migrations: migrations('probesink'),
  async setup(platform) {
    const { db } = await platform.database('probesink');
    return {
      db,
      deadLetters: {
        db,
        table: sinkEvents.deadLetters,
        replay: platform.events.replay.bind(platform.events),
        module: 'probesink',
      },
    };
  },
  events: sinkEvents,
  handlers: deadLetterHandlers,
  subscriptions: () => [
    on(probe.events.pinged, 'record', async (message, tx) => {
      if (message.payload.poison) {
        // Sequences ignore rollbacks: this counts every attempt, failed ones included.
        await tx.execute(sql`select nextval('probesink.poison_attempts')`);
        const [fixed] = await tx.select().from(fixes).where(eq(fixes.n, message.payload.n));
        if (!fixed) throw new Error(`probe event ${message.payload.n} is poison`);
      }
      await tx
        .insert(effects)
        .values({ consumer: 'probesink.record', messageId: message.envelope.messageId, n: message.payload.n });
    }),
  ],
});
