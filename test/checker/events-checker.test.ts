import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testServers } from '../support/env.ts';
import { createDatabase } from '../support/services.ts';
import { runChecker } from './checker.ts';

// CI size; `npm run soak` runs 10,000 events and 50 kills.
const EVENTS = 2000;
const KILLS = 10;

describe('events are never lost or applied twice, through kills', { concurrency: 1 }, () => {
  for (const topology of ['split', 'monolith'] as const) {
    test(`${topology}: ${EVENTS} events, ${KILLS} SIGKILLs of relays and consumers, terminated connections`, async () => {
      const { pgUrl, redisUrl } = testServers();
      const result = await runChecker({
        topology,
        databaseUrl: await createDatabase(pgUrl),
        redisUrl,
        events: EVENTS,
        kills: KILLS,
      });
      assert.equal(result.kills, KILLS, 'every planned kill happened');
      assert.ok(result.acknowledged >= EVENTS * 0.99, `most pings acknowledged (${result.acknowledged})`);
      assert.equal(result.lost, 0, `lost events: ${JSON.stringify(result)}`);
      assert.equal(result.unexpected, 0, `unexpected effects: ${JSON.stringify(result)}`);
      assert.equal(result.duplicated, 0, 'duplicated effects');
      assert.equal(result.deadLetters, 0, 'nothing dead-lettered');
    });
  }
});
