import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inventory } from '../contract.ts';
import { versionOfIfMatch } from './versions.ts';

describe('If-Match versions', () => {
  test('accepts the quoted, bare and weak forms of an ETag', () => {
    assert.equal(versionOfIfMatch('"3"'), 3);
    assert.equal(versionOfIfMatch('3'), 3);
    assert.equal(versionOfIfMatch('W/"3"'), 3);
    assert.equal(versionOfIfMatch(' "12" '), 12);
    assert.equal(versionOfIfMatch(7), 7);
  });

  test('"*" and absence mean no version check', () => {
    assert.equal(versionOfIfMatch('*'), undefined);
    assert.equal(versionOfIfMatch(undefined), undefined);
  });

  test('garbage is refused, by the contract before it reaches the parser', () => {
    const ifMatch = inventory.ops.updateItem.input.shape.ifMatch;
    for (const bad of ['abc', '"0"', '-1', '"3', '3"', 'W/3', 'W/3x', '"1", "2"', '9999999999', '', 0, 1.5]) {
      assert.equal(ifMatch.safeParse(bad).success, false, String(bad));
      if (typeof bad === 'string') assert.throws(() => versionOfIfMatch(bad), RangeError, bad);
    }
    for (const good of ['"3"', '3', 'W/"3"', '*', 999_999_999])
      assert.equal(ifMatch.safeParse(good).success, true, String(good));
  });
});
