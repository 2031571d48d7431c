import { pgSchema } from 'drizzle-orm/pg-core';
import { eventTables } from '../../src/shared/events/tables.ts';

export const probeSchema = pgSchema('probe');
export const probeEvents = eventTables(probeSchema);
export const { outbox, inbox, deadLetters } = probeEvents;
