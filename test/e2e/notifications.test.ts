import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { notificationOf, readEventStream } from '../../src/modules/notifications/testing/event-stream.ts';
import { apiClient, type ApiResponse } from '../support/api-client.ts';
import { startTopology, topologies, type Topology } from '../support/topology.ts';
import { eventually } from '../support/eventually.ts';

interface Notice {
  id: string;
  userId: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  createdAt: string;
  readAt: string | null;
}

interface Inbox {
  items: Notice[];
  nextCursor: string | null;
  unreadCount: number;
}

const item = (title: string) => ({
  title,
  description: 'for the notifications suite',
  category: 'outdoor',
  dailyPrice: { amount: 500, currency: 'EUR' },
  deposit: { amount: 2000, currency: 'EUR' },
  condition: 'good',
});

function assertProblem(response: ApiResponse, status: number, code?: string) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  if (code) assert.equal(response.body.code, code);
}

for (const name of topologies) {
  describe(name, () => {
    let topology: Topology;
    let api: ReturnType<typeof apiClient>;
    let alice: { id: string; accessToken: string };
    let bob: { id: string; accessToken: string };

    const list = async (token: string, query = '') => {
      const response = await api.request<Inbox>('GET', `/v1/notifications${query}`, { token });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body;
    };

    /** Polls the inbox until a notification matches: events reach notifications asynchronously. */
    function waitForNotification(token: string, match: (n: Notice) => boolean): Promise<Notice> {
      return eventually('a matching notification', async () => (await list(token, '?limit=100')).items.find(match));
    }

    async function createItem(token: string, title: string): Promise<string> {
      const response = await api.request('POST', '/v1/items', { token, body: item(title) });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.id;
    }

    before(async () => {
      topology = await startTopology(name);
      api = apiClient(topology.baseUrl);
      alice = await api.newUser('alice');
      bob = await api.newUser('bob');
    });

    after(async () => {
      await topology?.stop();
    });

    test('the notification routes are in /openapi.json, the stream as text/event-stream', async () => {
      const doc = (await api.request('GET', '/openapi.json')).body;
      assert.ok(doc.paths['/v1/notifications']?.get, 'GET /v1/notifications');
      assert.ok(doc.paths['/v1/notifications/{id}/read']?.post, 'POST /v1/notifications/{id}/read');
      const stream = doc.paths['/v1/notifications/stream']?.get;
      assert.ok(
        stream?.responses['200'].content['text/event-stream'],
        'GET /v1/notifications/stream as text/event-stream',
      );
      assert.deepEqual(stream.security, [{ bearerAuth: [] }]);
      assert.ok(doc.paths['/v1/admin/notifications/dead-letters']?.get, 'dead letters, for operators');
    });

    test('401 without a token', async () => {
      assertProblem(await api.request('GET', '/v1/notifications'), 401, 'unauthorized');
      assertProblem(await api.request('POST', `/v1/notifications/${randomUUID()}/read`), 401, 'unauthorized');
      assertProblem(await api.request('GET', '/v1/notifications/stream'), 401, 'unauthorized');
    });

    test('register → welcome; create an item → the owner is told; mark read; unread filter', async () => {
      await waitForNotification(alice.accessToken, (n) => n.kind === 'welcome');
      const itemId = await createItem(alice.accessToken, 'Hammock');
      const listed = await waitForNotification(
        alice.accessToken,
        (n) => n.kind === 'itemListed' && n.data.itemId === itemId,
      );
      assert.equal(listed.userId, alice.id);
      assert.equal(listed.title, 'Your item “Hammock” is listed');
      assert.equal(listed.readAt, null);

      const before = await list(alice.accessToken);
      assert.ok(before.unreadCount >= 2);
      const read = await api.request<Notice>('POST', `/v1/notifications/${listed.id}/read`, {
        token: alice.accessToken,
      });
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.ok(read.body.readAt);

      const unread = await list(alice.accessToken, '?unread=true');
      assert.equal(unread.unreadCount, before.unreadCount - 1);
      assert.ok(unread.items.every((n) => n.readAt === null));
      assert.ok(!unread.items.some((n) => n.id === listed.id));
      assert.ok((await list(alice.accessToken)).items.some((n) => n.id === listed.id && n.readAt === read.body.readAt));
    });

    test("another user's notification is 404, and a bad id or cursor 400", async () => {
      const welcome = await waitForNotification(bob.accessToken, (n) => n.kind === 'welcome');
      assertProblem(
        await api.request('POST', `/v1/notifications/${welcome.id}/read`, { token: alice.accessToken }),
        404,
        'notifications.notificationNotFound',
      );
      assert.equal(
        (await list(bob.accessToken, '?unread=true')).items.some((n) => n.id === welcome.id),
        true,
      );
      assertProblem(
        await api.request('POST', '/v1/notifications/not-a-uuid/read', { token: alice.accessToken }),
        400,
        'validationFailed',
      );
      assertProblem(
        await api.request('GET', '/v1/notifications?cursor=garbage', { token: alice.accessToken }),
        400,
        'notifications.invalidCursor',
      );
    });

    test('pages with a cursor, newest first', async () => {
      const carol = await api.newUser('carol');
      for (const title of ['One', 'Two', 'Three']) {
        const id = await createItem(carol.accessToken, title);
        await waitForNotification(carol.accessToken, (n) => n.data.itemId === id);
      }
      const first = await list(carol.accessToken, '?limit=2');
      assert.equal(first.items.length, 2);
      assert.ok(first.nextCursor);
      const second = await list(carol.accessToken, `?limit=2&cursor=${first.nextCursor}`);
      const titles = [...first.items, ...second.items].map((n) => n.title);
      assert.deepEqual(titles, [
        'Your item “Three” is listed',
        'Your item “Two” is listed',
        'Your item “One” is listed',
        'Welcome to Shareloop, carol!',
      ]);
      assert.equal(second.nextCursor, null);
    });

    test("the live stream pushes the caller's notifications and not another user's", async () => {
      const controller = new AbortController();
      const response = await fetch(`${topology.baseUrl}/v1/notifications/stream`, {
        headers: { authorization: `Bearer ${alice.accessToken}` },
        signal: controller.signal,
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const stream = readEventStream(response);
      try {
        await stream.next((e) => e.event === 'ready');
        const bobsItem = await createItem(bob.accessToken, 'Bob’s canoe');
        const alicesItem = await createItem(alice.accessToken, 'Alice’s paddle');
        const pushed = notificationOf(
          await stream.next((e) => e.event === 'notification' && notificationOf(e).data.itemId === alicesItem),
        );
        assert.equal(pushed.userId, alice.id);
        assert.equal(pushed.title, 'Your item “Alice’s paddle” is listed');
        // Bob's notification exists (so it was published), yet never reached Alice's stream.
        await waitForNotification(bob.accessToken, (n) => n.data.itemId === bobsItem);
        await new Promise((r) => setTimeout(r, 500));
        const foreign = stream.seen.filter((e) => e.event === 'notification' && notificationOf(e).userId !== alice.id);
        assert.deepEqual(foreign, []);
      } finally {
        controller.abort();
        await stream.cancel();
      }
    });
  });
}
