/**
 * A throwaway PostgreSQL primary with streaming replicas on 127.0.0.1, for failover tests and
 * drills: every node runs as the `postgres` OS user (when root) in one temp dir, and the
 * primary waits for at least one standby to confirm each commit (ANY 1), so promoting the
 * most advanced standby loses no acknowledged write.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { exec, findPgBinaries, freePort, onExit, tail } from './services.ts';

/** One PostgreSQL server of the replicated set. */
export interface PgNode {
  name: string;
  port: number;
  data: string;
}

export interface ReplicatedPostgres {
  /** Every node, primary first as started (roles change on failover). */
  nodes: PgNode[];
  /** A multi-host URL naming every node, for DATABASE_URL. */
  url: string;
  /** Single-host URLs of the standbys as started, for DATABASE_READ_URLS. */
  readUrls: string[];
  /** A single-host URL of one node. */
  nodeUrl(node: PgNode, database?: string): string;
  /** The node that is currently primary (asks each one). */
  primary(): Promise<PgNode>;
  /** SIGKILLs a node's postmaster (its backends exit on their own). */
  kill(node: PgNode): void;
  /** Promotes the standby with the most WAL received among the live ones, re-points the others to it; returns it. */
  failover(): Promise<PgNode>;
  stop(): Promise<void>;
}

/** Starts a primary and `replicas` streaming standbys (names r1…rN) on free ports. */
export async function startReplicatedPostgres(replicas = 4): Promise<ReplicatedPostgres> {
  const { initdb, pgCtl } = findPgBinaries();
  const bin = dirname(pgCtl);
  const asRoot = process.getuid?.() === 0;
  const wrap = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const root = await mkdtemp(join(tmpdir(), 'shareloop-pgha-'));
  const run = (cmd: string, args: string[]) => exec(...wrap(cmd, args), root);
  const nodes: PgNode[] = [];
  const live = new Set<PgNode>();
  const standbyNames = Array.from({ length: replicas }, (_, i) => `r${i + 1}`);

  const stopSync = () => {
    for (const node of nodes) {
      if (existsSync(join(node.data, 'postmaster.pid'))) {
        const [cmd, args] = wrap(pgCtl, ['-D', node.data, '-m', 'immediate', 'stop']);
        spawnSync(cmd, args, { cwd: root, stdio: 'ignore', timeout: 15_000 });
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  const unregister = onExit(stopSync);

  const settings = (port: number) =>
    [
      '-c listen_addresses=127.0.0.1',
      `-p ${port}`,
      `-c unix_socket_directories='${root}'`,
      '-c fsync=off',
      '-c full_page_writes=off',
      '-c synchronous_commit=on',
      `-c "synchronous_standby_names=ANY 1 (${standbyNames.join(',')})"`,
      '-c max_prepared_transactions=20',
      '-c max_connections=200',
      '-c shared_buffers=16MB',
      '-c max_wal_senders=10',
      '-c max_replication_slots=10',
      '-c wal_receiver_status_interval=1s',
      '-c wal_retrieve_retry_interval=200ms',
      '-c hot_standby_feedback=on',
    ].join(' ');

  const start = async (node: PgNode) => {
    const log = join(root, `${node.name}.log`);
    const started = await run(pgCtl, [
      '-w',
      '-t',
      '60',
      '-D',
      node.data,
      '-l',
      log,
      'start',
      '-o',
      settings(node.port),
    ]);
    if (started.code !== 0) throw new Error(`pg_ctl start of ${node.name} failed:\n${started.output}\n${tail(log)}`);
    live.add(node);
  };
  const nodeUrl = (node: PgNode, database = 'postgres') => `postgres://postgres@127.0.0.1:${node.port}/${database}`;
  const query = async <T>(node: PgNode, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> => {
    const sql = postgres(nodeUrl(node), { max: 1, onnotice: () => {}, connect_timeout: 5 });
    try {
      return await fn(sql);
    } finally {
      await sql.end({ timeout: 1 });
    }
  };
  const conninfo = (primary: PgNode, standby: PgNode) =>
    `host=127.0.0.1 port=${primary.port} user=postgres application_name=${standby.name}`;

  try {
    if (asRoot) {
      const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
      await chown(root, id('-u'), id('-g'));
    }
    const primary: PgNode = { name: 'p0', port: await freePort(), data: join(root, 'p0') };
    const init = await run(initdb, [
      '-D',
      primary.data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    if (init.code !== 0) throw new Error(`initdb failed:\n${init.output}`);
    nodes.push(primary);
    await start(primary);
    for (const [i, name] of standbyNames.entries()) {
      const node: PgNode = { name, port: await freePort(), data: join(root, name) };
      const backup = await run(join(bin, 'pg_basebackup'), [
        '-h',
        '127.0.0.1',
        '-p',
        String(primary.port),
        '-U',
        'postgres',
        '-D',
        node.data,
        '-R',
        '-X',
        'stream',
        '-C',
        '-S',
        `slot_${i + 1}`,
      ]);
      if (backup.code !== 0) throw new Error(`pg_basebackup of ${name} failed:\n${backup.output}`);
      const auto = join(node.data, 'postgresql.auto.conf');
      writeFileSync(
        auto,
        `${readFileSync(auto, 'utf8')}\nprimary_conninfo = '${conninfo(primary, node)}'\nprimary_slot_name = 'slot_${i + 1}'\n`,
      );
      nodes.push(node);
      await start(node);
    }
    await query(primary, async (sql) => {
      for (let deadline = Date.now() + 30_000; ; ) {
        const [row] = await sql<
          { n: number }[]
        >`select count(*)::int as n from pg_stat_replication where state = 'streaming'`;
        if (row!.n >= replicas) return;
        if (Date.now() > deadline) throw new Error(`only ${row!.n} of ${replicas} standbys streaming`);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
  } catch (error) {
    unregister();
    stopSync();
    throw error;
  }

  const roleOf = (node: PgNode) =>
    query(node, async (sql) =>
      (await sql<{ r: boolean }[]>`select pg_is_in_recovery() as r`)[0]!.r ? 'standby' : 'primary',
    ).catch(() => 'down');

  return {
    nodes,
    url: `postgres://postgres@${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}/postgres`,
    readUrls: nodes.slice(1).map((n) => nodeUrl(n)),
    nodeUrl,
    async primary() {
      for (const node of live) if ((await roleOf(node)) === 'primary') return node;
      throw new Error('no primary');
    },
    kill(node) {
      const pid = Number(readFileSync(join(node.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      live.delete(node);
    },
    async failover() {
      const standbys: { node: PgNode; lsn: bigint }[] = [];
      for (const node of live) {
        const lsn = await query(
          node,
          async (sql) =>
            (await sql<{ lsn: string }[]>`select (pg_last_wal_receive_lsn() - '0/0')::text as lsn`)[0]!.lsn,
        ).catch(() => undefined);
        if (lsn) standbys.push({ node, lsn: BigInt(lsn) });
      }
      standbys.sort((a, b) => (a.lsn < b.lsn ? 1 : a.lsn > b.lsn ? -1 : 0));
      const chosen = standbys[0]?.node;
      if (!chosen) throw new Error('no live standby to promote');
      const promoted = await run(pgCtl, ['-w', '-t', '60', '-D', chosen.data, 'promote']);
      if (promoted.code !== 0) throw new Error(`promote failed:\n${promoted.output}`);
      const others = standbys.slice(1).map((s) => s.node);
      // Slots are not copied to standbys: create them on the new primary before re-pointing.
      await query(chosen, async (sql) => {
        for (const node of others)
          await sql`select pg_create_physical_replication_slot(${`slot_${node.name.slice(1)}`}) where not exists (select 1 from pg_replication_slots where slot_name = ${`slot_${node.name.slice(1)}`})`;
      });
      await Promise.all(
        others.map((node) =>
          query(node, async (sql) => {
            await sql.unsafe(`alter system set primary_conninfo = '${conninfo(chosen, node)}'`);
            await sql`select pg_reload_conf()`;
          }),
        ),
      );
      return chosen;
    },
    async stop() {
      unregister();
      for (const node of live) await run(pgCtl, ['-D', node.data, '-m', 'immediate', 'stop']);
      await rm(root, { recursive: true, force: true });
    },
  };
}
