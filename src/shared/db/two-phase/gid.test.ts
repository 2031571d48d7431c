import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TwoPhaseInvalidGid } from './errors.ts';
import { assertGidPrefix, formatGid, gidPrefix, isGid, newTransactionId, parseGid } from './gid.ts';

test('a GID names coordinator, participant and transaction, and parses back', () => {
  const transactionId = newTransactionId();
  const gid = formatGid({ coordinator: 'rentals', participant: 'payments', transactionId });
  assert.equal(gid, `sl:rentals:payments:${transactionId}`);
  assert.deepEqual(parseGid(gid), { coordinator: 'rentals', participant: 'payments', transactionId });
  assert.ok(gid.startsWith(gidPrefix('rentals', 'payments')));
  assert.ok(gid.startsWith(gidPrefix('rentals')));
  assert.ok(gid.length <= 200, 'PostgreSQL GIDs are at most 200 bytes');
});

test('participants of one transaction get different GIDs', () => {
  const transactionId = newTransactionId();
  assert.notEqual(
    formatGid({ coordinator: 'rentals', participant: 'rentals', transactionId }),
    formatGid({ coordinator: 'rentals', participant: 'payments', transactionId }),
  );
});

test('anything outside the strict format is rejected, so a GID can never carry a quote into SQL', () => {
  const id = newTransactionId();
  for (const bad of [
    `sl:rentals:payments:${id.toUpperCase()}`,
    `sl:rentals:payments:${id}x`,
    `sl:rentals:${id}`,
    `xx:rentals:payments:${id}`,
    `sl:Rentals:payments:${id}`,
    `sl:rentals:pay'ments:${id}`,
    `sl:rentals:payments:${id}'; drop table x; --`,
    '',
  ]) {
    assert.equal(isGid(bad), false, bad);
    assert.throws(() => parseGid(bad), TwoPhaseInvalidGid);
  }
  assert.throws(
    () => formatGid({ coordinator: 'rentals', participant: "o'neil", transactionId: id }),
    TwoPhaseInvalidGid,
  );
  assert.throws(() => gidPrefix('Rentals'), TwoPhaseInvalidGid);
});

test('prefixes stop at a segment boundary', () => {
  for (const ok of ['sl:', 'sl:rentals:', 'sl:rentals:payments:']) assert.doesNotThrow(() => assertGidPrefix(ok));
  for (const bad of ['', 'sl', 'sl:rent', "sl:rentals:'", '%', 'sl:rentals:payments:abc']) {
    assert.throws(() => assertGidPrefix(bad), TwoPhaseInvalidGid, bad);
  }
});
