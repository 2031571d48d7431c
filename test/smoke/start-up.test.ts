import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { testServers } from '../support/env.ts';
import { createDatabase, freePort } from '../support/services.ts';
import { bootRuntime, callJson, logLines, runToEnd, smokeRun } from './boot-runtime.ts';

// Start-up failures are one line naming the cause; a container's SIGTERM to `npm start` drains the server.
const node = process.execPath;
const monolith = ['--import', 'tsx', 'src/runtimes/monolith.ts'];
const cli = (name: string) => ['--import', 'tsx', `src/runtimes/cli/${name}.ts`];
const ADMIN = { ADMIN_EMAIL: 'operator@example.test', ADMIN_PASSWORD: 'operator password 1' };

/** stderr as lines, without the development-secret warnings pino writes to stdout anyway. */
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('a second process on the same DATA_DIR, and operator commands beside a running server', () => {
  const run = smokeRun('shareloop-lock-');

  test('the server records its pid and URL in DATA_DIR/shareloop.lock', async () => {
    run.runtime = await bootRuntime(node, monolith, { DATA_DIR: run.dataDir, ...ADMIN });
    const owner = JSON.parse(readFileSync(join(run.dataDir, 'shareloop.lock'), 'utf8'));
    assert.equal(owner.pid, run.runtime.child.pid);
    assert.equal(owner.url, run.runtime.baseUrl);
  });

  test('a second monolith refuses at once with one line naming the owner, touching nothing', async () => {
    const started = Date.now();
    const second = await runToEnd(node, monolith, { DATA_DIR: run.dataDir, PORT: String(await freePort()) }, 30_000);
    assert.equal(second.code, 1, second.stderr);
    assert.deepEqual(lines(second.stderr), [
      `Shareloop monolith could not start: DATA_DIR ${run.dataDir} is in use by another Shareloop process (monolith, pid ${run.runtime!.child.pid}, at ${run.runtime!.baseUrl}); ` +
        'two processes on one embedded database would corrupt it: stop that process first, or run operator commands against it (they use its admin API)',
    ]);
    assert.doesNotMatch(second.stdout, /database opened|modules started/);
    assert.ok(Date.now() - started < 20_000, 'refused at once, not after opening the database');
    const ready = await callJson(run.runtime!.baseUrl, 'GET', '/readyz');
    assert.equal(ready.status, 200, 'the first server is unharmed');
  });

  test("catalog:rebuild goes through the server's admin API, with progress, and the catalog still works", async () => {
    const done = await runToEnd(node, cli('catalog-rebuild'), { DATA_DIR: run.dataDir, ...ADMIN });
    assert.equal(done.code, 0, `${done.stdout}\n${done.stderr}`);
    assert.match(
      done.stderr,
      new RegExp(`held by the monolith at ${run.runtime!.baseUrl.replaceAll('.', '\\.')} .*using its admin API`),
    );
    assert.match(done.stderr, /^catalog:rebuild: started rebuild [0-9a-f-]{36}$/m);
    assert.match(done.stdout, /^catalog rebuilt: \d+ items, \d+ owners in [\d.]+ s \(generation \d+\)$/m);
    const status = await callJson(run.runtime!.baseUrl, 'GET', '/v1/catalog/search?q=anything');
    assert.equal(status.status, 200);
  });

  test('dead-letters and db:migrate work against the running server; without credentials, one line and exit 1', async () => {
    const listed = await runToEnd(node, [...cli('dead-letters'), 'list'], { DATA_DIR: run.dataDir, ...ADMIN });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^notifications: 0 dead letter\(s\)$/m);
    assert.match(listed.stdout, /^catalog: 0 dead letter\(s\)$/m);
    const missing = await runToEnd(
      node,
      [...cli('dead-letters'), 'show', 'catalog', '00000000-0000-4000-8000-000000000000'],
      { DATA_DIR: run.dataDir, ...ADMIN },
    );
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /answered 404 catalog\.deadLetterNotFound/);

    const noCredentials = await runToEnd(node, [...cli('dead-letters'), 'list'], { DATA_DIR: run.dataDir });
    assert.equal(noCredentials.code, 1);
    assert.deepEqual(lines(noCredentials.stderr), [
      `dead-letters: the server at ${run.runtime!.baseUrl} is reached through its admin API: set ADMIN_TOKEN (an admin's access token), or ADMIN_EMAIL and ADMIN_PASSWORD`,
    ]);

    const migrated = await runToEnd(node, cli('migrate'), { DATA_DIR: run.dataDir });
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /applied every migration when it started and is ready/);
  });

  test('--remote <url> with ADMIN_TOKEN reaches a server explicitly', async () => {
    const login = await callJson(run.runtime!.baseUrl, 'POST', '/v1/auth/login', {
      body: { email: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD },
    });
    const listed = await runToEnd(node, [...cli('dead-letters'), 'list', 'catalog', '--remote', run.runtime!.baseUrl], {
      DATA_DIR: `${run.dataDir}-elsewhere`,
      ADMIN_TOKEN: login.body.accessToken,
    });
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, 'catalog: 0 dead letter(s)\n');
    assert.equal(existsSync(`${run.dataDir}-elsewhere`), false, 'no local database was opened');
  });

  test('after a SIGTERM the lock is gone; after a SIGKILL its stale lock is taken over by the next start', async () => {
    assert.deepEqual(await run.runtime!.stop('SIGTERM'), { code: 0, signal: null });
    assert.equal(existsSync(join(run.dataDir, 'shareloop.lock')), false);
    run.runtime = await bootRuntime(node, monolith, { DATA_DIR: run.dataDir });
    await run.runtime.stop('SIGKILL');
    assert.ok(existsSync(join(run.dataDir, 'shareloop.lock')), 'a killed process leaves its lock');
    run.runtime = await bootRuntime(node, monolith, { DATA_DIR: run.dataDir });
    assert.equal(JSON.parse(readFileSync(join(run.dataDir, 'shareloop.lock'), 'utf8')).pid, run.runtime.child.pid);
    assert.deepEqual(await run.runtime.stop('SIGTERM'), { code: 0, signal: null });
  });
});

describe('start-up failures are one line naming the cause', () => {
  test('an unreachable DATABASE_URL is named, its password hidden, and nothing claims it opened', async () => {
    const port = await freePort();
    const failed = await runToEnd(node, monolith, {
      DATABASE_URL: `postgres://shareloop:hunter2-secret@127.0.0.1:${port}/shareloop`,
      PORT: String(await freePort()),
    });
    assert.equal(failed.code, 1, failed.stderr);
    assert.deepEqual(lines(failed.stderr), [
      `Shareloop monolith could not start: DATABASE_URL: cannot reach the database at postgres://shareloop@127.0.0.1:${port}/shareloop: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
    assert.doesNotMatch(failed.stdout + failed.stderr, /hunter2-secret/);
    assert.ok(
      !logLines(failed.stdout).some((l) => l.msg === 'database opened'),
      'logged "database opened" for a database that never answered',
    );
  });

  test("a database that does not exist on a reachable server, through a module's own variable", async () => {
    const url = new URL(testServers().pgUrl);
    url.pathname = '/no_such_database';
    const failed = await runToEnd(node, monolith, {
      DATABASE_URL: await createDatabase(testServers().pgUrl),
      PAYMENTS_DATABASE_URL: url.toString(),
      PORT: String(await freePort()),
    });
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(
      lines(failed.stderr).join('\n'),
      /^Shareloop monolith could not start: PAYMENTS_DATABASE_URL: cannot reach the database at .*\/no_such_database: database "no_such_database" does not exist$/,
    );
  });

  test('a port in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const failed = await runToEnd(node, monolith, {
        DATABASE_URL: await createDatabase(testServers().pgUrl),
        PORT: String(port),
      });
      assert.equal(failed.code, 1, failed.stderr);
      assert.deepEqual(lines(failed.stderr), [
        `Shareloop monolith could not start: port ${port} on 127.0.0.1 is already in use (stop what listens there, or set PORT)`,
      ]);
    } finally {
      blocker.close();
    }
  });
});

describe('SIGTERM to `npm start` (as a container sends it)', () => {
  test('reaches the server, which finishes the request in flight, drains and exits 0; npm exits with it', async () => {
    const runtime = await bootRuntime('npm', ['start'], { DATABASE_URL: await createDatabase(testServers().pgUrl) });
    try {
      const server = Number(
        execFileSync('ps', ['-o', 'pid=', '--ppid', String(runtime.child.pid)], { encoding: 'utf8' }).trim(),
      );
      assert.match(
        execFileSync('ps', ['-o', 'args=', '-p', String(server)], { encoding: 'utf8' }),
        /node --import tsx src\/runtimes\/monolith\.ts/,
        'npm runs the server directly',
      );
      // Registration hashes a password (scrypt): a request still running when the signal arrives.
      const inFlight = callJson(runtime.baseUrl, 'POST', '/v1/auth/register', {
        body: { email: 'drain@example.test', password: 'correct horse battery', displayName: 'Drain' },
      });
      await new Promise((r) => setTimeout(r, 20));
      const exit = await runtime.stop('SIGTERM');
      assert.equal((await inFlight).status, 201, 'the request in flight was answered');
      assert.deepEqual(exit, { code: 0, signal: null }, runtime.output().slice(-3000));
      const log = logLines(runtime.output());
      assert.ok(
        log.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'),
        'the server got SIGTERM',
      );
      assert.ok(
        log.some((l) => l.msg === 'stopped'),
        'the server drained and stopped',
      );
      assert.throws(() => process.kill(server, 0), 'the server process is gone');
    } finally {
      await runtime.stop('SIGKILL');
    }
  });
});

describe('Ctrl-C on `npm start` (SIGINT to npm and the server, then npm forwards it again)', () => {
  test('the repeated signal is the same request: the server drains and exits 0, not 1', async () => {
    const runtime = await bootRuntime(
      'npm',
      ['start'],
      { DATABASE_URL: await createDatabase(testServers().pgUrl) },
      60_000,
      { ownProcessGroup: true },
    );
    try {
      process.kill(-runtime.child.pid!, 'SIGINT');
      const exit = await runtime.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, runtime.output().slice(-3000));
      const log = logLines(runtime.output());
      assert.equal(log.filter((l) => l.msg === 'shutting down').length, 1);
      assert.ok(
        log.some((l) => l.msg === 'stopped'),
        'the server drained and stopped',
      );
    } finally {
      try {
        process.kill(-runtime.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});

describe('operator commands: --help and unknown flags', () => {
  for (const [name, script] of [
    ['db:migrate', 'migrate'],
    ['dead-letters', 'dead-letters'],
    ['catalog:rebuild', 'catalog-rebuild'],
  ] as const) {
    test(`${name}: --help prints usage and exits 0; an unknown flag is one line and exit 2`, async () => {
      const help = await runToEnd(node, [...cli(script), '--help'], {});
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, new RegExp(`^Usage: npm run ${name}`));
      assert.match(help.stdout, /--remote <url>/);
      const unknown = await runToEnd(node, [...cli(script), '--frobnicate'], {});
      assert.equal(unknown.code, 2);
      assert.deepEqual(lines(unknown.stderr), [
        `${name}: Unknown option '--frobnicate' (see npm run ${name} -- --help)`,
      ]);
      assert.equal(unknown.stdout, '');
    });
  }

  test('dead-letters: a missing command or argument is one line and exit 2', async () => {
    const none = await runToEnd(node, cli('dead-letters'), {});
    assert.equal(none.code, 2);
    assert.deepEqual(lines(none.stderr), ['dead-letters: a command is required (see npm run dead-letters -- --help)']);
    const noId = await runToEnd(node, [...cli('dead-letters'), 'replay', 'catalog'], {});
    assert.equal(noId.code, 2);
    assert.deepEqual(lines(noId.stderr), [
      'dead-letters: replay needs <module> <id> (see npm run dead-letters -- --help)',
    ]);
  });
});
