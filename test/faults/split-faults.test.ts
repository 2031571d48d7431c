/**
 * Fault injection against the split topology: real processes on loopback (gateway, identity,
 * inventory instances), real signals (SIGKILL, SIGSTOP/SIGCONT), every outcome asserted from
 * the client's side. Each top-level describe starts its own topology, on its own database and
 * Redis namespace, and stops it afterwards.
 *
 *   - one of two inventory instances is killed under load, with calls in flight to it;
 *   - then every inventory instance: fast 503s from the open breaker, then new instances;
 *   - the internal bus endpoint refuses calls without a valid service credential;
 *   - an inventory instance stalls (SIGSTOP): timeouts, the bulkhead, identity unaffected.
 *
 * Latency assertions use fixed budgets from the brief where the machine is quiet, scaled by a
 * reference measured at the same moment when the machine is busy (latencyBudget), and always
 * capped below the bus timeout, so a call that waited for a timeout still fails them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { inventory } from '../../src/modules/inventory/contract.ts';
import { serviceCredentials } from '../../src/shared/bus/service-credentials.ts';
import { apiClient } from '../support/api-client.ts';
import {
  INTERNAL_SECRET,
  STALE_HEADER,
  assertProblem,
  faultEnv,
  internalCall,
  internalCallsServed,
  kill,
  latencyBudget,
  listing,
  newUser,
  percentile,
  resume,
  scrapeMetric,
  sleep,
  spawnService,
  startFaultTopology,
  timed,
  unreadRequests,
  type FaultTopology,
  type Timed,
} from './fault-support.ts';

const round = (ms: number) => Math.round(ms);

// ---------------------------------------------------------------------------------------------
describe('inventory instances are SIGKILLed (one under load, then all, then new ones start)', () => {
  const BUS_TIMEOUT_MS = 3_000;
  const HALF_OPEN_MS = 1_000;
  /** The load runs at least this long, and until enough requests were sent after the kill. */
  const LOAD_MS = 3_000;
  const MIN_AFTER_KILL = 30;
  const LOOPS = 6;
  /**
   * Before the kill the victim is frozen (SIGSTOP) until this many calls are in flight to it
   * (more than BREAKER_THRESHOLD), or for at most MAX_FREEZE_MS (below the bus timeout, so
   * none of them has timed out when it dies).
   */
  const WANT_IN_FLIGHT = 8;
  const MAX_FREEZE_MS = 2_500;
  /** Writes sent while the victim is frozen: round robin hands about half of them to it. */
  const FROZEN_WRITES = 12;
  let topology: FaultTopology;
  let api: ReturnType<typeof apiClient>;
  let user: { id: string; accessToken: string };
  /** One item per write loop, so every PATCH outcome can be checked against the final state. */
  let items: { id: string }[];
  /** One item per write sent while the victim is frozen. */
  let frozenItems: { id: string }[];

  before(async () => {
    topology = await startFaultTopology(
      await faultEnv({
        BUS_TIMEOUT_MS: String(BUS_TIMEOUT_MS),
        HEALTH_INTERVAL_MS: '300',
        // Longer than the freeze: the frozen victim keeps getting its share of calls until it dies.
        HEALTH_TIMEOUT_MS: '2500',
        BREAKER_HALF_OPEN_MS: String(HALF_OPEN_MS),
        // Calls alternate between the instances, so both carry load (and calls in flight) when one dies.
        LB_STRATEGY: 'round_robin',
      }),
      [
        { name: 'identity', modules: 'identity' },
        { name: 'inventory-1', modules: 'inventory' },
        { name: 'inventory-2', modules: 'inventory' },
      ],
    );
    api = apiClient(topology.gatewayUrl);
    user = await newUser(topology.gatewayUrl, 'load');
    const create = async (title: string) => {
      const created = await api.request('POST', '/v1/items', { token: user.accessToken, body: listing(title) });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return { id: created.body.id as string };
    };
    items = [];
    for (let i = 0; i < LOOPS; i++) items.push(await create(`load item ${i}`));
    frozenItems = [];
    for (let i = 0; i < FROZEN_WRITES; i++) frozenItems.push(await create(`frozen item ${i}`));
  });
  after(() => topology?.stopEverything());

  test('one of two killed under load, calls in flight: reads and If-Match writes see no failure, every write lands exactly once', async () => {
    const victim = topology.process('inventory-2');
    const survivor = topology.process('inventory-1');
    const gateway = topology.gatewayUrl;
    const failures: string[] = [];
    const outcomes: { sentAt: number; ms: number; what: string; status: number }[] = [];
    /** Per item: titles of the writes that succeeded, in order. */
    const written = items.map(() => [] as string[]);
    let preconditionFailed = 0;
    let stale = 0;
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    let killedAt = Infinity;
    const sentAfterKill = () => outcomes.filter((o) => o.sentAt >= killedAt).length;

    const record = (what: string, response: Timed, ok: boolean, why = '') => {
      outcomes.push({ sentAt: elapsed() - response.ms, ms: response.ms, what, status: response.status });
      if (response.headers.get(STALE_HEADER)) stale++;
      if (!ok)
        failures.push(
          `${what} → ${response.status} after ${round(response.ms)} ms ${why} ${JSON.stringify(response.body).slice(0, 200)}`,
        );
    };

    /** One PATCH with If-Match of an item that is at version 1. */
    async function writeOnce(item: { id: string }) {
      const r = await timed(gateway, 'PATCH', `/v1/items/${item.id}`, {
        token: user.accessToken,
        headers: { 'if-match': '"1"' },
        body: { title: 'written during the kill' },
      });
      record(
        'PATCH /v1/items/{id} (victim frozen)',
        r,
        r.status === 200 && r.body.version === 2 && r.body.title === 'written during the kill',
      );
      return r;
    }

    async function loop(n: number) {
      const own = items[n]!;
      // Until LOAD_MS have passed and enough requests went out after the kill (hard stop at 30 s,
      // for a machine so busy that requests take seconds).
      for (let k = 0; (elapsed() < LOAD_MS || sentAfterKill() < MIN_AFTER_KILL) && elapsed() < 30_000; k++) {
        const choice = (n + k) % 4;
        if (choice === 0) {
          const id = items[k % items.length]!.id;
          const r = await timed(gateway, 'GET', `/v1/items/${id}`);
          record(
            'GET /v1/items/{id}',
            r,
            r.status === 200 && r.body.id === id && r.headers.get('etag') === `"${r.body.version}"`,
          );
        } else if (choice === 1) {
          const r = await timed(gateway, 'GET', `/v1/items?ownerId=${user.id}&limit=50`);
          record(
            'GET /v1/items',
            r,
            r.status === 200 && r.body.total === LOOPS + FROZEN_WRITES && r.body.items.length === LOOPS + FROZEN_WRITES,
          );
        } else {
          // PATCH with If-Match is an idempotent command (contract: updateItem.idempotent), so
          // the gateway may resend it to the other instance even after it was sent.
          const read = await timed(gateway, 'GET', `/v1/items/${own.id}`);
          record(
            'GET /v1/items/{id} (before write)',
            read,
            read.status === 200 && typeof read.body.version === 'number',
          );
          if (read.status !== 200) continue;
          const title = `loop ${n} write ${k}`;
          const r = await timed(gateway, 'PATCH', `/v1/items/${own.id}`, {
            token: user.accessToken,
            headers: { 'if-match': `"${read.body.version}"` },
            body: { title },
          });
          if (r.status === 412) {
            preconditionFailed++;
            record('PATCH /v1/items/{id}', r, r.body.code === 'inventory.versionMismatch');
          } else {
            const ok = r.status === 200 && r.body.title === title && r.body.version === read.body.version + 1;
            record('PATCH /v1/items/{id}', r, ok, `(read version ${read.body.version})`);
            if (ok) written[n]!.push(title);
          }
        }
      }
    }

    // Kill in the middle of the load, after a second, once the victim has had its share of it.
    // It is frozen first (SIGSTOP) for a moment, with writes sent meanwhile, so that the kill
    // catches calls in flight: those were sent, and only an idempotent op may be sent again.
    const victimPort = Number(new URL(victim.url).port);
    let inFlightAtKill: number | undefined;
    const killer = (async () => {
      let served = 0;
      while (elapsed() < 8_000) {
        await sleep(100);
        served = await internalCallsServed(victim.url);
        if (elapsed() >= 1_000 && served >= 10) break;
      }
      victim.child.kill('SIGSTOP');
      const frozenAt = elapsed();
      const writes = Promise.all(frozenItems.map(writeOnce));
      do {
        await sleep(50);
        inFlightAtKill = unreadRequests(victimPort);
      } while (
        elapsed() - frozenAt < MAX_FREEZE_MS &&
        (inFlightAtKill === undefined || inFlightAtKill < WANT_IN_FLIGHT)
      );
      killedAt = elapsed();
      await kill(victim.child);
      await writes;
      return served;
    })();
    await Promise.all(Array.from({ length: LOOPS }, (_, n) => loop(n)));
    const servedByVictim = await killer;

    const latencies = outcomes.map((o) => o.ms);
    const resets = await scrapeMetric(gateway, 'bus_hop_failures_total', { target: 'inventory', reason: 'reset' });
    const serviceOpened = await scrapeMetric(gateway, 'circuit_breaker_transitions_total', {
      target: 'inventory',
      scope: 'service',
      state: 'open',
    });
    console.log(
      `[faults] kill-one: ${outcomes.length} requests in ${round(elapsed())} ms (${sentAfterKill()} sent after the kill at ${round(killedAt)} ms), ` +
        `victim had served ${servedByVictim} internal calls; p95 ${round(percentile(latencies, 95))} ms, max ${round(Math.max(...latencies))} ms; ` +
        `${inFlightAtKill ?? '?'} requests in flight to it at the kill, ${resets} calls reset by it; ` +
        `service breaker opened ${serviceOpened} times; 412s: ${preconditionFailed}, stale replies: ${stale}`,
    );

    // The fault really happened, in the middle of real load, with the victim taking its share.
    assert.equal(victim.child.signalCode, 'SIGKILL');
    assert.ok(
      servedByVictim >= 10,
      `inventory-2 served only ${servedByVictim} internal calls before the kill: the load never reached it`,
    );
    assert.ok(
      outcomes.some((o) => o.sentAt + o.ms < killedAt),
      'requests completed before the kill',
    );
    assert.ok(sentAfterKill() >= MIN_AFTER_KILL, `only ${sentAfterKill()} requests were sent after the kill`);
    assert.ok(resets >= 1 && (inFlightAtKill ?? 1) >= 1, 'no call was in flight to the victim when it was killed');

    // One instance's death is not the service's: the service-wide breaker stays closed while
    // the calls caught in flight are resent to the survivor.
    assert.equal(serviceOpened, 0, 'the inventory service breaker opened although inventory-1 was healthy all along');
    // Not one client-visible failure, and no reply papered over by the stale cache.
    assert.deepEqual(failures, [], `${failures.length} of ${outcomes.length} requests failed`);
    assert.equal(stale, 0, 'a reply was served stale: a call failed and the stale fallback hid it');

    // Every acknowledged write is in effect exactly once: version = 1 + writes, last title wins.
    for (const [n, item] of items.entries()) {
      const now = await api.request('GET', `/v1/items/${item.id}`);
      assert.equal(now.status, 200);
      assert.equal(
        now.body.version,
        1 + written[n]!.length,
        `item ${n}: ${written[n]!.length} acknowledged writes, version ${now.body.version}`,
      );
      if (written[n]!.length > 0) assert.equal(now.body.title, written[n]!.at(-1));
    }
    assert.ok(
      written.every((w) => w.length > 0),
      'every loop got writes through',
    );
    for (const item of frozenItems) {
      const now = await api.request('GET', `/v1/items/${item.id}`);
      assert.deepEqual(
        [now.body.version, now.body.title],
        [2, 'written during the kill'],
        'a write caught in flight landed exactly once',
      );
    }

    // The gateway still serves reads and non-idempotent commands, from the survivor.
    assert.equal(survivor.child.exitCode, null);
    const list = await timed(gateway, 'GET', `/v1/items?ownerId=${user.id}`);
    assert.equal(list.status, 200);
    const created = await timed(gateway, 'POST', '/v1/items', {
      token: user.accessToken,
      body: listing('after the kill'),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const read = await timed(gateway, 'GET', `/v1/items/${created.body.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.title, 'after the kill');
  });

  test('all killed: inventory routes answer 503 problem+json with Retry-After, fast once the breaker is open; identity keeps working', async () => {
    const gateway = topology.gatewayUrl;
    const itemId = items[0]!.id;
    const breakerOpens = () =>
      scrapeMetric(gateway, 'circuit_breaker_transitions_total', {
        target: 'inventory',
        scope: 'service',
        state: 'open',
      });
    const opensBefore = await breakerOpens();
    await Promise.all([kill(topology.process('inventory-1').child), kill(topology.process('inventory-2').child)]);
    const killedAt = performance.now();

    const inventoryCalls: (Timed & { at: number; what: string })[] = [];
    const identityCalls: Timed[] = [];
    // Fresh URLs each time, so no earlier good reply can be served from the stale fallback.
    const probes = [
      () =>
        [
          'POST /v1/items',
          timed(gateway, 'POST', '/v1/items', { token: user.accessToken, body: listing('during the outage') }),
        ] as const,
      () => ['GET /v1/items/{id}', timed(gateway, 'GET', `/v1/items/${randomUUID()}`)] as const,
      () => ['GET /v1/items', timed(gateway, 'GET', `/v1/items?ownerId=${randomUUID()}`)] as const,
      () =>
        [
          'PATCH /v1/items/{id}',
          timed(gateway, 'PATCH', `/v1/items/${itemId}`, {
            token: user.accessToken,
            headers: { 'if-match': '"1"' },
            body: { title: 'x' },
          }),
        ] as const,
    ];
    for (let n = 0; performance.now() - killedAt < 2_500 || n < 24; n++) {
      const [what, pending] = probes[n % probes.length]!();
      const response = await pending;
      inventoryCalls.push({ ...response, at: performance.now() - killedAt, what });
      identityCalls.push(await timed(gateway, 'GET', '/v1/users/me', { token: user.accessToken }));
    }

    for (const r of inventoryCalls) {
      assertProblem(r, 503, 'serviceUnavailable');
      const retryAfter = r.headers.get('retry-after');
      assert.match(retryAfter ?? '', /^[1-9]\d*$/, `${r.what}: Retry-After ${retryAfter}`);
    }

    // The service breaker opened (clients are told so), soon after the kill.
    const opened = inventoryCalls.findIndex((r) => /circuit open/.test(r.body.detail));
    assert.ok(opened >= 0, 'no reply says the circuit is open');
    assert.ok(
      inventoryCalls[opened]!.at < 2_000,
      `the breaker opened only ${round(inventoryCalls[opened]!.at)} ms after the kill`,
    );
    assert.ok((await breakerOpens()) > opensBefore, 'the gateway metrics show no new opening of the inventory breaker');
    const open = inventoryCalls.slice(opened);
    for (const r of open.filter((r) => /circuit open/.test(r.body.detail)))
      assert.equal(r.headers.get('retry-after'), String(Math.ceil(HALF_OPEN_MS / 1000)));

    const identityLatencies = identityCalls.map((r) => r.ms);
    const p95 = percentile(
      open.map((r) => r.ms),
      95,
    );
    const budget = latencyBudget(200, identityLatencies, BUS_TIMEOUT_MS / 4);
    console.log(
      `[faults] kill-all: ${inventoryCalls.length} inventory calls, breaker open from call #${opened} (${round(inventoryCalls[opened]!.at)} ms); ` +
        `p95 while open ${round(p95)} ms (budget ${round(budget)} ms), max overall ${round(Math.max(...inventoryCalls.map((r) => r.ms)))} ms; identity p95 ${round(percentile(identityLatencies, 95))} ms`,
    );
    assert.ok(open.length >= 10, `only ${open.length} calls while the breaker was open`);
    assert.ok(
      p95 < budget,
      `p95 ${round(p95)} ms while the breaker is open (budget ${round(budget)} ms, timeout ${BUS_TIMEOUT_MS} ms)`,
    );
    assert.ok(Math.max(...inventoryCalls.map((r) => r.ms)) < BUS_TIMEOUT_MS, 'a call waited for the bus timeout');

    // Identity routes were never affected.
    for (const r of identityCalls) {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.id, user.id);
    }
  });

  test('all killed: traffic recovers on its own when new inventory instances start, without a gateway restart', async () => {
    const gateway = topology.process('gateway');
    const itemId = items[0]!.id;
    const gatewayPid = gateway.child.pid;
    const spawnedAt = performance.now();
    await Promise.all([
      spawnService(topology, 'inventory-3', 'inventory'),
      spawnService(topology, 'inventory-4', 'inventory'),
    ]);
    const readyAt = performance.now();

    let recoveredAt: number | undefined;
    let last: Timed | undefined;
    while (performance.now() - readyAt < 15_000) {
      last = await timed(gateway.url, 'GET', `/v1/items/${itemId}`);
      if (last.status === 200 && !last.headers.get(STALE_HEADER)) {
        recoveredAt = performance.now();
        break;
      }
      assert.ok(
        [503, 504].includes(last.status) || (last.status === 200 && last.headers.get(STALE_HEADER)),
        `unexpected ${last.status} ${JSON.stringify(last.body)}`,
      );
      await sleep(100);
    }
    assert.ok(
      recoveredAt !== undefined,
      `no fresh answer 15 s after the new instances were ready; last: ${last?.status} ${JSON.stringify(last?.body)}`,
    );
    console.log(
      `[faults] kill-all: new instances ready ${round(readyAt - spawnedAt)} ms after spawn; traffic recovered ${round(recoveredAt - readyAt)} ms later`,
    );

    // Fully back: a run of reads and commands all succeed, on the same gateway process.
    for (let n = 0; n < 12; n++) {
      const read = await timed(gateway.url, 'GET', `/v1/items/${itemId}`);
      assert.equal(read.status, 200);
      assert.equal(read.headers.get(STALE_HEADER), null);
      const created = await timed(gateway.url, 'POST', '/v1/items', {
        token: user.accessToken,
        body: listing(`back ${n}`),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    const served = await Promise.all(
      ['inventory-3', 'inventory-4'].map((name) => internalCallsServed(topology.process(name).url)),
    );
    assert.ok(
      served.every((n) => n > 0),
      `both new instances take traffic: ${served.join(', ')}`,
    );
    assert.equal(gateway.child.pid, gatewayPid);
    assert.equal(gateway.child.exitCode, null, 'the gateway was not restarted');
  });
});

// ---------------------------------------------------------------------------------------------
describe('identity and one inventory instance', () => {
  const BUS_TIMEOUT_MS = 1_000;
  const LIMIT = 4;
  const QUEUE = 4;
  let topology: FaultTopology;
  let api: ReturnType<typeof apiClient>;
  let user: { id: string; accessToken: string };
  let serviceUrl: string;
  const valid = serviceCredentials({ secret: INTERNAL_SECRET, service: 'fault-tests' });

  before(async () => {
    topology = await startFaultTopology(
      await faultEnv({
        BUS_TIMEOUT_MS: String(BUS_TIMEOUT_MS),
        // One attempt per call: a timed-out query is not sent again to the one (stalled) instance.
        BUS_RETRIES: '0',
        BULKHEAD_LIMIT: String(LIMIT),
        BULKHEAD_QUEUE: String(QUEUE),
        BREAKER_HALF_OPEN_MS: '1000',
        // Active checks every 2 s with a 2 s timeout: none can eject the stalled instance before the burst is over.
        HEALTH_INTERVAL_MS: '2000',
        HEALTH_TIMEOUT_MS: '2000',
        DISCOVERY_TTL_MS: '30000',
      }),
      [
        { name: 'identity', modules: 'identity' },
        { name: 'inventory-1', modules: 'inventory' },
      ],
    );
    serviceUrl = topology.process('inventory-1').url;
    api = apiClient(topology.gatewayUrl);
    user = await newUser(topology.gatewayUrl, 'member');
  });
  after(() => topology?.stopEverything());

  describe('the internal bus endpoint needs a service credential', () => {
    const OWNER = randomUUID();
    const owner = { userId: OWNER, role: 'member' };

    test('missing, garbage, foreign, expired, misaddressed or end-user credentials get 401 and run nothing', async () => {
      const key = new TextEncoder().encode(INTERNAL_SECRET);
      const signed = (build: (jwt: SignJWT) => SignJWT) =>
        build(new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('intruder')).sign(key);
      const now = Math.floor(Date.now() / 1000);
      const refused: [string, string | undefined][] = [
        ['no Authorization', undefined],
        ['garbage bearer', 'Bearer garbage'],
        ['empty bearer', 'Bearer '],
        [
          'signed with another secret',
          `Bearer ${await serviceCredentials({ secret: 'some-other-deployment-secret-0000000000', service: 'intruder' }).token()}`,
        ],
        [
          'expired',
          `Bearer ${await signed((j) =>
            j
              .setAudience('shareloop-internal')
              .setIssuedAt(now - 600)
              .setExpirationTime(now - 300),
          )}`,
        ],
        [
          'wrong audience',
          `Bearer ${await signed((j) => j.setAudience('shareloop-api').setIssuedAt().setExpirationTime('60s'))}`,
        ],
        ['no expiry', `Bearer ${await signed((j) => j.setAudience('shareloop-internal').setIssuedAt())}`],
        ['valid token, wrong scheme', `Basic ${await valid.token()}`],
        ["an end user's access token", `Bearer ${user.accessToken}`],
      ];
      const createInput = { input: listing('smuggled'), contractVersion: inventory.version, caller: owner };
      for (const [what, authorization] of refused) {
        const read = await internalCall(
          serviceUrl,
          'inventory.getItem',
          { input: { id: randomUUID() }, contractVersion: inventory.version },
          authorization,
        );
        assert.equal(read.status, 401, `${what}: ${read.status} ${JSON.stringify(read.body)}`);
        assert.equal(read.body.error.code, 'serviceCredentialRejected', what);
        assert.equal(read.body.error.kind, 'unauthorized', what);
        const write = await internalCall(serviceUrl, 'inventory.createItem', createInput, authorization);
        assert.equal(write.status, 401, `${what}: ${write.status}`);
      }
      // None of the refused writes ran.
      const listed = await internalCall(
        serviceUrl,
        'inventory.listItems',
        { input: { ownerId: OWNER }, contractVersion: inventory.version },
        `Bearer ${await valid.token()}`,
      );
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      assert.equal(listed.body.output.total, 0, 'a call with a refused credential was executed');
    });

    test('with a valid credential the same calls succeed (positive control)', async () => {
      const authorization = `Bearer ${await valid.token()}`;
      const created = await internalCall(
        serviceUrl,
        'inventory.createItem',
        { input: listing('via the internal bus'), contractVersion: inventory.version, caller: owner },
        authorization,
      );
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.equal(created.body.output.ownerId, OWNER);
      const read = await internalCall(
        serviceUrl,
        'inventory.getItem',
        { input: { id: created.body.output.id }, contractVersion: inventory.version },
        authorization,
      );
      assert.equal(read.status, 200);
      assert.deepEqual(read.body.output, created.body.output);
      // The public route agrees with the internal one.
      const publicRead = await timed(topology.gatewayUrl, 'GET', `/v1/items/${created.body.output.id}`);
      assert.equal(publicRead.status, 200);
      assert.deepEqual(publicRead.body, created.body.output);
      // A contract error crosses as a typed error, not as a 401.
      const missing = await internalCall(
        serviceUrl,
        'inventory.getItem',
        { input: { id: randomUUID() }, contractVersion: inventory.version },
        authorization,
      );
      assert.equal(missing.status, 404, 'the internal reply status mirrors the error kind');
      assert.deepEqual([missing.body.error.code, missing.body.error.kind], ['inventory.itemNotFound', 'not_found']);
    });

    test('the gateway does not route /internal/*, even with a valid credential', async () => {
      const authorization = `Bearer ${await valid.token()}`;
      for (const method of ['GET', 'POST']) {
        for (const auth of [undefined, authorization]) {
          for (const op of ['inventory.getItem', 'inventory.createItem', 'identity.validateToken']) {
            const r = await internalCall(
              topology.gatewayUrl,
              op,
              { input: { id: randomUUID() }, contractVersion: inventory.version },
              auth,
              method,
            );
            assertProblem(r, 404, 'notFound');
          }
        }
      }
    });
  });

  describe('a stalled inventory instance (SIGSTOP): timeouts and a bulkhead, other routes unaffected', () => {
    const BURST = 12;

    test('calls fail with 503/504 within about the timeout, excess calls are rejected at once, identity stays fast', async () => {
      const gateway = topology.gatewayUrl;
      const stalled = topology.process('inventory-1');
      const me = () => timed(gateway, 'GET', '/v1/users/me', { token: user.accessToken });
      const warm = await timed(gateway, 'GET', `/v1/items/${randomUUID()}`);
      assertProblem(warm, 404, 'inventory.itemNotFound');
      const baseline: number[] = [];
      for (let n = 0; n < 30; n++) baseline.push((await me()).ms);

      stalled.child.kill('SIGSTOP');
      try {
        // Anonymous reads on fresh URLs: no identity hop, nothing for the stale fallback to serve.
        let burstDone = false;
        const burst = Promise.all(
          Array.from({ length: BURST }, () => timed(gateway, 'GET', `/v1/items/${randomUUID()}`, { giveUpMs: 10_000 })),
        ).finally(() => (burstDone = true));
        const identityCalls: Timed[] = [];
        const identityLoop = (async () => {
          while (!burstDone || identityCalls.length < 20) identityCalls.push(await me());
        })();
        const results = await burst;
        await identityLoop;

        // After the burst (breaker open, instance ejected), calls still end quickly: none hangs,
        // commands included.
        const later: Timed[] = [];
        for (let n = 0; n < 6; n++) {
          later.push(
            await timed(gateway, 'POST', '/v1/items', {
              token: user.accessToken,
              body: listing(`stalled ${n}`),
              giveUpMs: 10_000,
            }),
          );
          later.push(await timed(gateway, 'GET', `/v1/items/${randomUUID()}`, { giveUpMs: 10_000 }));
        }

        const summary = results.map((r) => `${r.status}@${round(r.ms)}(${r.body.code})`).join(' ');
        const identityP95 = percentile(
          identityCalls.map((r) => r.ms),
          95,
        );
        const identityBudget = latencyBudget(100, baseline, BUS_TIMEOUT_MS / 2);
        console.log(
          `[faults] stall: burst ${summary}; later max ${round(Math.max(...later.map((r) => r.ms)))} ms; ` +
            `identity p95 ${round(identityP95)} ms over ${identityCalls.length} calls (baseline p95 ${round(percentile(baseline, 95))} ms, budget ${round(identityBudget)} ms)`,
        );

        for (const r of [...results, ...later]) {
          assertProblem(r, [503, 504]);
          assert.ok(r.ms < 2 * BUS_TIMEOUT_MS + 1_000, `a call took ${round(r.ms)} ms (timeout ${BUS_TIMEOUT_MS} ms)`);
        }
        // The calls that got a slot waited for the timeout, then were told so.
        const timedOut = results.filter((r) => r.status === 504);
        assert.ok(
          timedOut.length >= LIMIT,
          `${timedOut.length} timeouts in the burst, expected at least ${LIMIT}: ${summary}`,
        );
        for (const r of timedOut) {
          assert.equal(r.body.code, 'upstreamTimeout');
          assert.ok(r.ms >= BUS_TIMEOUT_MS * 0.9, `a 504 after only ${round(r.ms)} ms`);
        }
        // Beyond limit + queue, calls were turned away at once, with a hint when to come back.
        const rejected = results.filter((r) => r.status === 503 && r.ms < BUS_TIMEOUT_MS / 2);
        assert.ok(
          rejected.length >= BURST - LIMIT - QUEUE,
          `${rejected.length} calls rejected at once, expected at least ${BURST - LIMIT - QUEUE}: ${summary}`,
        );
        for (const r of rejected) {
          assert.equal(r.body.code, 'serviceUnavailable');
          assert.match(r.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
        }
        assert.ok(
          results.filter((r) => r.ms >= BUS_TIMEOUT_MS * 0.9).length <= LIMIT + QUEUE,
          `more calls waited than the bulkhead admits: ${summary}`,
        );
        for (const r of later)
          assert.ok(r.ms < BUS_TIMEOUT_MS / 2, `after the burst a call still took ${round(r.ms)} ms`);

        // Identity never noticed.
        for (const r of identityCalls) assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.ok(
          identityP95 < identityBudget,
          `identity p95 ${round(identityP95)} ms during the stall (budget ${round(identityBudget)} ms)`,
        );
      } finally {
        resume(stalled.child);
      }
    });

    test('after SIGCONT the instance takes traffic again on its own', async () => {
      const gateway = topology.gatewayUrl;
      resume(topology.process('inventory-1').child);
      const resumedAt = performance.now();
      let created: Timed | undefined;
      while (performance.now() - resumedAt < 10_000) {
        created = await timed(gateway, 'POST', '/v1/items', {
          token: user.accessToken,
          body: listing('after the stall'),
          giveUpMs: 10_000,
        });
        if (created.status === 201) break;
        assertProblem(created, [503, 504]);
        await sleep(100);
      }
      assert.equal(created?.status, 201, `still failing 10 s after SIGCONT: ${JSON.stringify(created?.body)}`);
      console.log(`[faults] stall: recovered ${round(performance.now() - resumedAt)} ms after SIGCONT`);
      const read = await timed(gateway, 'GET', `/v1/items/${created!.body.id}`);
      assert.equal(read.status, 200);
      assert.equal(read.headers.get(STALE_HEADER), null);
    });
  });
});
