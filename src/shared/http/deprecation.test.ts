import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deprecationHeaders } from './deprecation.ts';

test('Deprecation is an RFC 9745 date (@epoch seconds), Sunset an RFC 8594 HTTP-date, Link the successor', () => {
  assert.deepEqual(deprecationHeaders({ since: '2026-12-07', sunset: '2027-06-30', successor: '/v2/items' }), {
    Deprecation: '@1796601600',
    Sunset: 'Wed, 30 Jun 2027 00:00:00 GMT',
    Link: '</v2/items>; rel="successor-version"',
  });
});

test('a retirement with unreadable dates, or a sunset before it, fails at startup', () => {
  assert.throws(() => deprecationHeaders({ since: 'soon', sunset: '2027-06-30', successor: '/v2/x' }));
  assert.throws(() => deprecationHeaders({ since: '2027-07-01', sunset: '2027-06-30', successor: '/v2/x' }));
});
