import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passwordWeakness } from './password-strength.ts';

test('a passphrase is strong enough', () => {
  assert.equal(passwordWeakness('correct horse battery', 'ann@example.com'), undefined);
});

test('too few different characters, a common password or the email name are weak', () => {
  assert.match(passwordWeakness('aaaaaaaaaaaa')!, /different characters/);
  assert.match(passwordWeakness('1212121212')!, /different characters/);
  assert.match(passwordWeakness('Password123')!, /too common/);
  assert.match(passwordWeakness('qwerty-1234')!, /too common/);
  assert.match(passwordWeakness('annabelle-rocks', 'annabelle@example.com')!, /email/);
});
