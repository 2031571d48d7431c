import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { anchoredScan, type ScanEntry } from './anchored-scan.ts';

/** A list ordered by (createdAt, id), as inventory.listItems orders it. */
function sorted(entries: ScanEntry[]): ScanEntry[] {
  return [...entries].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

const entry = (n: number, ms = n): ScanEntry => ({
  id: `id-${String(n).padStart(5, '0')}`,
  createdAt: new Date(Date.UTC(2030, 0, 1) + ms).toISOString(),
});

async function scanAll(list: () => ScanEntry[], limit: number, between: (call: number) => void): Promise<Set<string>> {
  const seen = new Set<string>();
  let call = 0;
  const fetchPage = async (offset: number, size: number) => {
    between(call++);
    return sorted(list()).slice(offset, offset + size);
  };
  for await (const page of anchoredScan(fetchPage, limit)) for (const e of page) seen.add(e.id);
  return seen;
}

describe('anchored scan of an offset-paged list', () => {
  test('a still list is read whole, in pages that overlap by one', async () => {
    const list = Array.from({ length: 25 }, (_, i) => entry(i));
    const seen = await scanAll(
      () => list,
      10,
      () => {},
    );
    assert.equal(seen.size, 25);
  });

  test('entries leaving ahead of the scan do not make it skip the ones that stay', async () => {
    let list = Array.from({ length: 40 }, (_, i) => entry(i));
    const leaving = new Set(['id-00002', 'id-00003', 'id-00005', 'id-00011', 'id-00012', 'id-00013']);
    const seen = await scanAll(
      () => list,
      5,
      (call) => {
        if (call === 2) list = list.filter((e) => !leaving.has(e.id));
      },
    );
    for (const e of list) assert.ok(seen.has(e.id), `missed ${e.id}`);
  });

  test('many entries of the same millisecond are still read whole', async () => {
    let list = Array.from({ length: 30 }, (_, i) => entry(i, 7));
    const seen = await scanAll(
      () => list,
      4,
      (call) => {
        if (call === 3) list = list.filter((e) => e.id !== 'id-00001' && e.id !== 'id-00004');
      },
    );
    for (const e of list) assert.ok(seen.has(e.id), `missed ${e.id}`);
  });

  test('under any interleaving of removals and insertions, every entry present throughout is read', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 2, max: 12 }),
        fc.array(fc.record({ at: fc.nat(30), remove: fc.nat(80), add: fc.integer({ min: -5, max: 120 }) }), {
          maxLength: 25,
        }),
        async (size, limit, changes) => {
          let list = Array.from({ length: size }, (_, i) => entry(i * 2));
          const original = new Set(list.map((e) => e.id));
          const touched = new Set<string>();
          let added = 1000;
          const seen = await scanAll(
            () => list,
            limit,
            (call) => {
              for (const change of changes.filter((c) => c.at === call)) {
                const victim = sorted(list)[change.remove % Math.max(1, list.length)];
                if (victim) {
                  touched.add(victim.id);
                  list = list.filter((e) => e !== victim);
                }
                list.push(entry(added++, change.add));
              }
            },
          );
          for (const id of original) if (!touched.has(id)) assert.ok(seen.has(id), `missed ${id}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
