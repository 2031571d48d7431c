import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeOwner, type OwnerFact, type OwnerState } from './owner-merge.ts';

const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));

function applyAll(facts: OwnerFact[]): OwnerState | undefined {
  let state: OwnerState | undefined;
  for (const fact of facts) state = mergeOwner(state, fact) ?? state;
  return state;
}

describe('merging owner facts', () => {
  const registered: OwnerFact = { kind: 'named', displayName: 'Ada', at: at(1) };
  const renamed: OwnerFact = { kind: 'named', displayName: 'Ada L.', at: at(2) };
  const deleted: OwnerFact = { kind: 'deleted', at: at(3) };

  test('the newest name wins, in whatever order names arrive', () => {
    assert.equal(applyAll([registered, renamed])?.displayName, 'Ada L.');
    assert.equal(applyAll([renamed, registered])?.displayName, 'Ada L.');
  });

  test('a fact no newer than the state changes nothing', () => {
    const state = applyAll([renamed])!;
    assert.equal(mergeOwner(state, renamed), undefined);
    assert.equal(mergeOwner(state, registered), undefined);
  });

  test('a deletion is final: the name is gone and later names never bring it back', () => {
    for (const order of [
      [registered, renamed, deleted],
      [deleted, registered, renamed],
      [renamed, deleted, registered],
    ]) {
      assert.deepEqual(applyAll(order), { displayName: null, changedAt: at(3), deleted: true });
    }
    assert.equal(
      mergeOwner(
        { displayName: null, changedAt: at(3), deleted: true },
        { kind: 'named', displayName: 'Zombie', at: at(9) },
      ),
      undefined,
    );
  });
});
