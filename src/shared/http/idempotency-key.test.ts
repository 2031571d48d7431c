import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../bus/errors.ts';
import { canonicalJson, idempotencyStoreKey, parseIdempotencyKey, requestFingerprint } from './idempotency-key.ts';

const noQuery = new URLSearchParams();

function assertInvalid(header: string) {
  assert.throws(
    () => parseIdempotencyKey(header),
    (error: unknown) => error instanceof AppError && error.code === 'invalidIdempotencyKey' && error.kind === 'invalid',
    `${JSON.stringify(header)} should be refused`,
  );
}

test('keys of 1 to 255 visible ASCII characters are accepted as they are', () => {
  for (const key of [
    'a',
    '8e03978e-40d5-43e8-bc93-6894a57f9324',
    'x'.repeat(255),
    '!~"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}',
    'Ab0~',
  ]) {
    assert.equal(parseIdempotencyKey(key), key);
  }
  const everyVisible = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
  assert.equal(parseIdempotencyKey(everyVisible), everyVisible);
});

test("the draft's quoted form carries the same key as the plain form", () => {
  assert.equal(parseIdempotencyKey('"8e03978e-40d5"'), '8e03978e-40d5');
  assert.equal(parseIdempotencyKey(`"${'k'.repeat(255)}"`), 'k'.repeat(255));
  assert.equal(parseIdempotencyKey('"'), '"', 'a lone quote is a plain one-character key');
});

test('empty, too long, spaced, control or non-ASCII keys are refused', () => {
  for (const header of [
    '',
    'x'.repeat(256),
    'a b',
    ' ',
    'a\tb',
    'line\nbreak',
    'nul\u0000',
    'del\u007f',
    'clé',
    'ключ',
    '鍵',
    'emoji😀',
    '"a b"',
    `"${'k'.repeat(256)}"`,
  ]) {
    assertInvalid(header);
  }
});

test('store keys are scoped to user, method and route, and carry no Redis Cluster hash tag', () => {
  const key = idempotencyStoreKey('u1', 'post', '/v1/items/{id}/photos', 'k');
  assert.equal(key, 'idem:u1:POST:/v1/items/:id/photos:k');
  const others = [
    idempotencyStoreKey('u2', 'post', '/v1/items/{id}/photos', 'k'),
    idempotencyStoreKey('u1', 'put', '/v1/items/{id}/photos', 'k'),
    idempotencyStoreKey('u1', 'post', '/v1/items', 'k'),
    idempotencyStoreKey('u1', 'post', '/v1/items/{id}/photos', 'k2'),
  ];
  assert.equal(new Set([key, ...others]).size, 5);
});

test('fingerprints ignore key order and whitespace at every depth', () => {
  const a = requestFingerprint(
    'POST',
    '/v1/items',
    noQuery,
    '{"title":"Drill","price":{"amount":800,"currency":"EUR"},"tags":["a","b"]}',
  );
  const b = requestFingerprint(
    'post',
    '/v1/items',
    noQuery,
    ' {\n "tags": ["a", "b"],\n "price": {"currency": "EUR", "amount": 800.0},\n "title": "Drill"\n}\n',
  );
  assert.equal(a, b);
  assert.match(a, /^POST \/v1\/items sha256:[\w-]{43}$/);
  assert.equal(
    requestFingerprint('POST', '/v1/x', noQuery, '{"s":"\\u00e9"}'),
    requestFingerprint('POST', '/v1/x', noQuery, '{"s":"é"}'),
    'escapes are decoded',
  );
});

test('fingerprints differ when anything that matters differs', () => {
  const base = requestFingerprint('POST', '/v1/items', noQuery, '{"title":"Drill","tags":["a","b"]}');
  const variants = [
    requestFingerprint('POST', '/v1/items', noQuery, '{"title":"Drill ","tags":["a","b"]}'),
    requestFingerprint('POST', '/v1/items', noQuery, '{"title":"Drill","tags":["b","a"]}'),
    requestFingerprint('POST', '/v1/items', noQuery, '{"title":"Drill","tags":["a","b"],"extra":null}'),
    requestFingerprint('POST', '/v1/items', noQuery, '{"title":"Drill","tags":["a","b","c"]}'),
    requestFingerprint('PUT', '/v1/items', noQuery, '{"title":"Drill","tags":["a","b"]}'),
    requestFingerprint('POST', '/v1/items/1', noQuery, '{"title":"Drill","tags":["a","b"]}'),
    requestFingerprint('POST', '/v1/items', new URLSearchParams('dryRun=true'), '{"title":"Drill","tags":["a","b"]}'),
    requestFingerprint('POST', '/v1/items', noQuery, ''),
  ];
  assert.equal(new Set([base, ...variants]).size, variants.length + 1);
});

test('query order does not matter; a body that is not JSON is compared as it is', () => {
  assert.equal(
    requestFingerprint('POST', '/v1/x', new URLSearchParams('b=2&a=1&a=0'), ''),
    requestFingerprint('POST', '/v1/x', new URLSearchParams('a=0&a=1&b=2'), ''),
  );
  assert.notEqual(
    requestFingerprint('POST', '/v1/x', noQuery, 'not json'),
    requestFingerprint('POST', '/v1/x', noQuery, 'not  json'),
  );
});

test('canonical JSON sorts object keys, keeps array order and drops undefined like JSON does', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, u: undefined }),
    '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
  );
  assert.equal(canonicalJson([undefined, 'x']), '[null,"x"]');
  assert.equal(canonicalJson('s'), '"s"');
});
