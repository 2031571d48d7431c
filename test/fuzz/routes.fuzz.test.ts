/**
 * Section 5 of issue 9: a property-based fuzz of every public route, in both topologies.
 * Requests come from the deployment's own OpenAPI document (the contracts' zod schemas):
 * first every operation as owner, other user and admin, valid and mutated; then random
 * operations, callers and mutations until the time budget is spent. Pass: no 5xx (a 503/504
 * that goes away when the request is sent again, a second later, is a busy machine), every 4xx
 * is problem+json with a stable code and no stack trace, the payments ledger sums to zero,
 * and the deployment still answers.
 *
 *   FUZZ_SEED (default 20261207) fixes the sequence; FUZZ_SECONDS (default 30) bounds the
 *   random phase per topology; FUZZ_TOPOLOGY=monolith|split runs one; `npm run fuzz` runs it
 *   for 10 minutes per topology.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import postgres from 'postgres';
import { startTopology, topologies, type Topology } from '../support/topology.ts';
import {
  buildWorld,
  type CallerKind,
  type FuzzOutcome,
  type FuzzRequest,
  type FuzzWorld,
  operationsOf,
  requestArbitrary,
  send,
} from './route-fuzz.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 30);
const ADMIN = { email: 'fuzz-admin@example.test', password: 'fuzz admin passphrase' };

const describeRequest = (o: FuzzOutcome) =>
  `${o.request.op.method} ${o.url.replace(/^http:\/\/[^/]+/, '')} as ${o.request.caller}${o.request.mutated ? ' (mutated)' : ''} body=${JSON.stringify(o.request.input.body)?.slice(0, 200)} → ${o.problem}`;

for (const name of topologies.filter((t) => !process.env.FUZZ_TOPOLOGY || t === process.env.FUZZ_TOPOLOGY)) {
  describe(`fuzz of every public route: ${name}`, () => {
    let topology: Topology;
    let world: FuzzWorld;
    let doc: Parameters<typeof operationsOf>[0] & { components?: { schemas?: Record<string, never> } };

    before(async () => {
      topology = await startTopology(name, { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
      doc = (await (await fetch(`${topology.baseUrl}/openapi.json`)).json()) as typeof doc;
      world = await buildWorld(topology.baseUrl, ADMIN);
    });
    after(() => topology?.stop());

    test('no 5xx, problem+json with a stable code for every 4xx, the ledger balanced', async () => {
      const operations = operationsOf(doc);
      const components = doc.components?.schemas ?? {};
      assert.ok(operations.length >= 30, `only ${operations.length} operations in /openapi.json`);
      const outcomes: FuzzOutcome[] = [];

      // Every operation, as each signed-in caller, valid then mutated.
      const sweep: FuzzRequest[] = [];
      for (const op of operations) {
        for (const caller of ['owner', 'other', 'admin'] satisfies CallerKind[]) {
          for (const mutated of [false, true])
            sweep.push(
              ...fc.sample(requestArbitrary(op, world, components, { caller, mutated }), {
                seed: SEED + sweep.length,
                numRuns: 1,
              }),
            );
        }
      }
      for (const request of sweep) outcomes.push(await send(world, request));

      // Then random operations, callers and mutations until the budget is spent.
      const any = fc.oneof(...operations.map((op) => requestArbitrary(op, world, components)));
      const until = Date.now() + SECONDS * 1000;
      for (let batch = 0; Date.now() < until; batch++) {
        for (const request of fc.sample(any, { seed: SEED + 1_000_000 + batch, numRuns: 20 })) {
          if (Date.now() >= until) break;
          outcomes.push(await send(world, request));
        }
      }

      const byClass = new Map<string, number>();
      for (const o of outcomes)
        byClass.set(`${Math.floor(o.status / 100)}xx`, (byClass.get(`${Math.floor(o.status / 100)}xx`) ?? 0) + 1);
      const covered = new Set(outcomes.map((o) => o.request.op.id));
      const transient = outcomes.filter((o) => o.transient && !o.problem).length;
      console.log(
        `[fuzz] ${name}: seed ${SEED}, ${outcomes.length} requests over ${covered.size} operations: ${[...byClass].map(([k, v]) => `${k} ${v}`).join(', ')}` +
          (transient > 0 ? `; ${transient} answered only after a transient 503/504` : ''),
      );
      if (process.env.FUZZ_VERBOSE) {
        for (const op of operations) {
          const mine = outcomes.filter((o) => o.request.op.id === op.id);
          const statuses = new Map<number, number>();
          for (const o of mine) statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
          console.log(
            `[fuzz]   ${op.id.padEnd(36)} ${[...statuses]
              .sort()
              .map(([k, v]) => `${k}×${v}`)
              .join(' ')}`,
          );
          const refused = mine.find((o) => !o.request.mutated && o.status === 400);
          if (refused)
            console.log(
              `[fuzz]     valid but 400: ${JSON.stringify(refused.request.input).slice(0, 300)} → ${refused.reply}`,
            );
        }
      }
      assert.equal(covered.size, operations.length, 'every operation was exercised');

      const broken = outcomes.filter((o) => o.problem);
      assert.deepEqual(
        broken.slice(0, 15).map(describeRequest),
        [],
        `${broken.length} of ${outcomes.length} requests broke the pass condition`,
      );

      // Money never appears or vanishes, whatever was sent.
      const sql = postgres(topology.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
      try {
        const unbalanced =
          await sql`select currency, sum(amount)::text as total from payments.ledger_entries group by currency having sum(amount) <> 0`;
        assert.deepEqual([...unbalanced], [], 'the ledger sums to zero per currency');
        const transactions =
          await sql`select transaction_id from payments.ledger_entries group by transaction_id having sum(amount) <> 0`;
        assert.deepEqual([...transactions], [], 'every ledger transaction sums to zero');
      } finally {
        await sql.end({ timeout: 5 });
      }
      // And the deployment still serves: ready, and identity logs people in.
      assert.equal((await fetch(`${topology.baseUrl}/readyz`)).status, 200);
      await world.relogin('owner');
    });
  });
}
