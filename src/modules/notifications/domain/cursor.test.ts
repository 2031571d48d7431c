import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCursor, encodeCursor } from './cursor.ts';

const id = '4f3e1c2a-9b8d-4c7e-8f6a-5b4c3d2e1f00';

test('a cursor names exactly the position it was made from', () => {
  const position = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id };
  assert.deepEqual(decodeCursor(encodeCursor(position)), position);
});

test('a cursor is opaque and URL-safe', () => {
  assert.match(encodeCursor({ createdAt: new Date(), id }), /^[A-Za-z0-9_-]+$/);
});

test('anything else is not a cursor', () => {
  for (const bad of [
    '',
    'abc',
    Buffer.from(`123.${id}x`).toString('base64url'),
    Buffer.from('123.not-a-uuid').toString('base64url'),
    Buffer.from(`99999999999999999.${id}`).toString('base64url'),
  ]) {
    assert.equal(decodeCursor(bad), undefined, bad);
  }
});
