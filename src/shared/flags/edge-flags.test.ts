import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { eventually } from '../../../test/support/eventually.ts';
import { createLogger } from '../observability/logger.ts';
import { type EdgeFlags, openEdgeFlags } from './edge-flags.ts';

const log = createLogger({ level: 'silent', pretty: false, name: 'test' });
const dir = mkdtempSync(join(tmpdir(), 'shareloop-flags-'));
const opened: EdgeFlags[] = [];
after(async () => {
  await Promise.all(opened.map((f) => f.close()));
  rmSync(dir, { recursive: true, force: true });
});

const VIP = '00000000-0000-4000-8000-000000000001';

/** A flagd-format file: a user-id allow list, a role rule, a 30/70 split and a disabled flag. */
const definitions = {
  $schema: 'https://flagd.dev/schema/v0/flags.json',
  flags: {
    'new-checkout': {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: { if: [{ in: [{ var: 'userId' }, [VIP]] }, 'on', null] },
    },
    'admin-tools': {
      state: 'ENABLED',
      variants: { shown: 'shown', hidden: 'hidden' },
      defaultVariant: 'hidden',
      targeting: { if: [{ '==': [{ var: 'role' }, 'admin'] }, 'shown', 'hidden'] },
    },
    'page-size': {
      state: 'ENABLED',
      variants: { small: 10, large: 50 },
      defaultVariant: 'small',
      targeting: {
        fractional: [
          ['small', 30],
          ['large', 70],
        ],
      },
    },
    retired: { state: 'DISABLED', variants: { on: true, off: false }, defaultVariant: 'off' },
  },
};

function flagFile(content: unknown): string {
  const path = join(dir, `${randomUUID()}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function open(path: string): Promise<EdgeFlags> {
  const flags = await openEdgeFlags({ path, log, domain: `test-${randomUUID()}`, pollMs: 50 });
  opened.push(flags);
  return flags;
}

const member = (userId = randomUUID()) => ({ userId, role: 'member' });

describe('feature flags from a flagd-format file', () => {
  test('targets by user id and by role; other callers get the default variant', async () => {
    const flags = await open(flagFile(definitions));
    const vip = await flags.evaluate(member(VIP));
    assert.deepEqual(vip['new-checkout'], { value: true, variant: 'on' });
    assert.deepEqual((await flags.evaluate(member()))['new-checkout'], { value: false, variant: 'off' });
    assert.deepEqual((await flags.evaluate({ userId: randomUUID(), role: 'admin' }))['admin-tools'], {
      value: 'shown',
      variant: 'shown',
    });
    assert.equal((await flags.evaluate(member()))['admin-tools']?.variant, 'hidden');
    assert.equal('retired' in vip, false, 'a disabled flag is not evaluated');
  });

  test('a percentage split buckets each user stably and in proportion; anonymous callers get the default', async () => {
    const flags = await open(flagFile(definitions));
    const users = Array.from({ length: 1_000 }, () => member());
    const first = await Promise.all(users.map(async (u) => (await flags.evaluate(u))['page-size']!.variant));
    const again = await Promise.all(users.map(async (u) => (await flags.evaluate(u))['page-size']!.variant));
    assert.deepEqual(again, first, 'a user changed bucket between two evaluations');
    const large = first.filter((v) => v === 'large').length;
    assert.ok(large > 620 && large < 780, `70% expected in large, got ${large / 10}%`);
    assert.deepEqual((await flags.evaluate(undefined))['page-size'], { value: 10, variant: 'small' });
  });

  test('reloads the file when it changes; a broken edit keeps the last good flags', async () => {
    const path = flagFile(definitions);
    const flags = await open(path);
    const someone = member();
    assert.equal((await flags.evaluate(someone))['new-checkout']?.value, false);
    const widened = structuredClone(definitions);
    widened.flags['new-checkout'].defaultVariant = 'on';
    writeFileSync(path, JSON.stringify(widened));
    await eventually('the edited file to take effect', async () =>
      (await flags.evaluate(someone))['new-checkout']?.value === true ? true : undefined,
    );
    writeFileSync(path, '{ "flags": { "new-checkout": ');
    // Give the watcher several polls to see the broken file; the flags stay as they were.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await flags.evaluate(someone))['new-checkout']?.value, true);
    writeFileSync(path, JSON.stringify(definitions));
    await eventually('the repaired file to take effect', async () =>
      (await flags.evaluate(someone))['new-checkout']?.value === false ? true : undefined,
    );
  });

  test('the committed flags/flags.json is valid and safe: browse order newest for everyone', async () => {
    const path = new URL('../../../flags/flags.json', import.meta.url).pathname;
    const flags = await open(path);
    for (const caller of [member(), { userId: randomUUID(), role: 'admin' }, undefined])
      assert.deepEqual((await flags.evaluate(caller))['catalog-browse-order'], { value: 'newest', variant: 'newest' });
    assert.ok(JSON.parse(readFileSync(path, 'utf8')).$schema, 'the file names the flagd schema');
  });

  test('a file that is missing or not a flag definition fails at start-up', async () => {
    await assert.rejects(open(join(dir, 'missing.json')));
    await assert.rejects(open(flagFile({ flags: { broken: { state: 'SOMETIMES', variants: {} } } })));
  });
});
