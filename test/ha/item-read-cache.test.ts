import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiClient } from '../support/api-client.ts';
import { drill } from '../support/fixtures.ts';
import { startTopology, type Topology } from '../support/topology.ts';

// Public item reads are cached (Redis) and kept current by every change; If-None-Match gets 304.
let deployment: Topology;
before(async () => {
  deployment = await startTopology('monolith');
});
after(() => deployment.stop());

test('a cached item read follows every change at once, and If-None-Match of the current version is 304', async () => {
  const api = apiClient(deployment.baseUrl);
  const owner = await api.newUser('cache');
  const created = await api.request('POST', '/v1/items', {
    token: owner.accessToken,
    body: drill({ title: 'Cached drill' }),
  });
  assert.equal(created.status, 201);
  const id = created.body.id as string;
  const first = await api.request('GET', `/v1/items/${id}`);
  const again = await api.request('GET', `/v1/items/${id}`);
  assert.deepEqual(again.body, first.body, 'the cached read is the same item');
  const etag = first.headers.get('etag')!;
  assert.equal(etag, `"${first.body.version}"`);

  const notModified = await fetch(`${deployment.baseUrl}/v1/items/${id}`, { headers: { 'if-none-match': etag } });
  assert.equal(notModified.status, 304);
  assert.equal(await notModified.text(), '', '304 has no body');
  assert.equal(notModified.headers.get('etag'), etag);

  const changed = await api.request('PATCH', `/v1/items/${id}`, {
    token: owner.accessToken,
    headers: { 'if-match': etag },
    body: { title: 'Renamed drill' },
  });
  assert.equal(changed.status, 200);
  const afterChange = await api.request('GET', `/v1/items/${id}`);
  assert.equal(afterChange.body.title, 'Renamed drill', 'the change is read at once, not the cached copy');
  const stale = await fetch(`${deployment.baseUrl}/v1/items/${id}`, { headers: { 'if-none-match': etag } });
  assert.equal(stale.status, 200, 'an old version is not "not modified"');
  assert.equal(stale.headers.get('etag'), `"${afterChange.body.version}"`);
  await stale.text();
});
