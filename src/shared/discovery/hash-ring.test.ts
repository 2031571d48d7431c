import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHashRing } from './hash-ring.ts';
import { hash32 } from './hash32.ts';

const members = ['http://10.0.0.7:4001', 'http://10.0.0.12:4001', 'http://10.0.0.31:4001'].map((id) => ({ id }));
const keys = Array.from({ length: 10_000 }, (_, n) => `user-${n}`);

function owners(ring: { lookup(key: string): { id: string } | undefined }): string[] {
  return keys.map((key) => ring.lookup(key)!.id);
}

test('hash32 is stable across releases (changing it would remap every key during a rollout)', () => {
  // FNV-1a then murmur3 fmix32, computed independently.
  assert.deepEqual(['', 'a', 'user-1'].map(hash32), [2872998923, 444641715, 2005895916]);
});

test('a key maps to the same member every time, whatever order the members are listed in', () => {
  const first = owners(createHashRing(members));
  assert.deepEqual(owners(createHashRing(members)), first);
  assert.deepEqual(owners(createHashRing([...members].reverse())), first);
});

test('10k keys spread over 3 members within ±20% of even', () => {
  const counts = new Map<string, number>();
  for (const id of owners(createHashRing(members))) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.equal(counts.size, 3);
  for (const [id, count] of counts) {
    assert.ok(Math.abs(count - keys.length / 3) <= (keys.length / 3) * 0.2, `${id} owns ${count} keys`);
  }
});

test("removing a member remaps only its own keys (about a third), none of the others'", () => {
  const before = owners(createHashRing(members));
  const removed = members[1]!.id;
  const after = owners(createHashRing(members.filter((m) => m.id !== removed)));
  let moved = 0;
  before.forEach((owner, n) => {
    if (owner === removed) {
      assert.notEqual(after[n], removed);
      moved++;
    } else {
      assert.equal(after[n], owner, `key ${keys[n]} moved from ${owner} to ${after[n]}`);
    }
  });
  assert.ok(moved > keys.length * 0.25 && moved < keys.length * 0.42, `${moved} keys moved`);
});

test('an empty ring owns nothing', () => {
  assert.equal(createHashRing([]).lookup('user-1'), undefined);
});
