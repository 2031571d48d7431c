import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeItemCursor, encodeItemCursor } from './item-cursor.ts';

test('a cursor round-trips its position and is opaque (base64url)', () => {
  const position = { createdAt: '2026-12-07T07:45:00.123456Z', id: '6f1c1d7e-8a39-4d4c-9a51-0b9f0c1d2e3f' };
  const cursor = encodeItemCursor(position);
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeItemCursor(cursor), position);
});

test('anything this API did not issue decodes to undefined', () => {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  for (const bad of [
    '',
    'not a cursor',
    encode({ createdAt: '2026-12-07T07:45:00.123456Z' }),
    encode(['2026-12-07T07:45:00Z', '6f1c1d7e-8a39-4d4c-9a51-0b9f0c1d2e3f']),
    encode(['2026-13-07T07:45:00.123456Z', '6f1c1d7e-8a39-4d4c-9a51-0b9f0c1d2e3f']),
    encode(['2026-12-07T07:45:00.123456Z', 'x']),
    encode(['2026-12-07T07:45:00.123456Z', '6f1c1d7e-8a39-4d4c-9a51-0b9f0c1d2e3f', 1]),
  ])
    assert.equal(decodeItemCursor(bad), undefined, bad);
});
