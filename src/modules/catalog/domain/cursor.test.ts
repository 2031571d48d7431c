import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeCursor, encodeCursor, type Cursor } from './cursor.ts';

const id = '0b6f7c52-8f0e-4a4e-9d7a-1f2e3d4c5b6a';

describe('search cursors', () => {
  test('round-trip every sort key exactly', () => {
    const cursors: Cursor[] = [
      { sort: 'relevance', key: 0.0607927, id },
      { sort: 'relevance', key: 0, id },
      { sort: 'newest', key: '2025-03-04T05:06:07.089Z', id },
      { sort: 'price_asc', key: 0, id },
      { sort: 'price_desc', key: 100_000_000, id },
    ];
    for (const cursor of cursors) {
      const text = encodeCursor(cursor);
      assert.match(text, /^[A-Za-z0-9_-]+$/, 'a cursor is base64url, safe in a query string');
      assert.deepEqual(decodeCursor(text), cursor);
    }
  });

  test('reject anything this API did not produce', () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const bad = [
      '',
      'not a cursor!',
      Buffer.from('garbage').toString('base64url'),
      encode({ sort: 'newest', key: '2025-03-04T05:06:07.089Z', id }),
      encode(['newest', '2025-03-04T05:06:07.089Z']),
      encode(['oldest', '2025-03-04T05:06:07.089Z', id]),
      encode(['newest', 'yesterday', id]),
      encode(['newest', 1741064767089, id]),
      encode(['price_asc', 12.5, id]),
      encode(['price_asc', -1, id]),
      encode(['price_asc', '800', id]),
      encode(['relevance', 'high', id]),
      encode(['relevance', -0.5, id]),
      encode(['price_asc', 800, 'not-a-uuid']),
      encode(['price_asc', 800, id.toUpperCase()]),
    ];
    for (const text of bad) assert.equal(decodeCursor(text), undefined, `accepted ${JSON.stringify(text)}`);
  });
});
