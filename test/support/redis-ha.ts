/**
 * Throwaway Redis high-availability setups on 127.0.0.1 for failover tests and drills: a
 * Sentinel-managed master with replicas, and a Redis Cluster of masters with a replica each.
 * Every server lives in one temp dir and stops on stop() or when this process exits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, exited, freePort, onExit, ping } from './services.ts';

export interface RedisNode {
  port: number;
  child: ChildProcess;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free port whose cluster bus port (port + 10000) is a valid port too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10000 <= 65535) return port;
  }
}

/** Starts redis-server with args (or a config file) and waits until it answers PING. */
async function spawnRedis(port: number, args: string[]): Promise<RedisNode> {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  for (const deadline = Date.now() + 15_000; !(await ping(port)); await sleep(50)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`redis-server on ${port} did not start (${args.join(' ')})`);
  }
  return { port, child };
}

async function redisSet(): Promise<{ dir: string; nodes: RedisNode[]; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'shareloop-redisha-'));
  const nodes: RedisNode[] = [];
  const unregister = onExit(() => {
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
    spawnSync('rm', ['-rf', dir]);
  });
  return {
    dir,
    nodes,
    async stop() {
      unregister();
      for (const n of nodes) if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
      await Promise.all(nodes.map((n) => exited(n.child)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const serverArgs = (port: number, dir: string) => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--dir',
  dir,
  '--repl-diskless-sync-delay',
  '0',
];

export interface SentinelSetup {
  /** REDIS_SENTINELS and REDIS_SENTINEL_NAME for the deployment. */
  env: { REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string };
  /** The port of the current master, as the sentinels report it. */
  masterPort(): Promise<number>;
  /** SIGKILLs the server on port. */
  kill(port: number): void;
  stop(): Promise<void>;
}

/** One master, `replicas` replicas and three sentinels (quorum 2, down after 1 s). */
export async function startSentinel(replicas = 2): Promise<SentinelSetup> {
  const set = await redisSet();
  try {
    return await startSentinelIn(set, replicas);
  } catch (error) {
    await set.stop();
    throw error;
  }
}

async function startSentinelIn(set: Awaited<ReturnType<typeof redisSet>>, replicas: number): Promise<SentinelSetup> {
  const masterPort = await freePort();
  set.nodes.push(await spawnRedis(masterPort, serverArgs(masterPort, set.dir)));
  for (let i = 0; i < replicas; i++) {
    const port = await freePort();
    set.nodes.push(
      await spawnRedis(port, [
        ...serverArgs(port, set.dir),
        '--replicaof',
        '127.0.0.1',
        String(masterPort),
        '--dbfilename',
        `r${i}.rdb`,
      ]),
    );
  }
  const sentinels: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const conf = join(set.dir, `sentinel-${i}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${set.dir}`,
        `sentinel monitor mymaster 127.0.0.1 ${masterPort} 2`,
        'sentinel down-after-milliseconds mymaster 1000',
        'sentinel failover-timeout mymaster 5000',
        'sentinel parallel-syncs mymaster 2',
        '',
      ].join('\n'),
    );
    set.nodes.push(await spawnRedis(port, [conf, '--sentinel']));
    sentinels.push(port);
  }
  const ask = async (args: string[]) => (await exec('redis-cli', ['-p', String(sentinels[0]), ...args])).output.trim();
  // Wait until the sentinels know the replicas (so a failover has somewhere to go).
  for (const deadline = Date.now() + 15_000; ; await sleep(100)) {
    const known = await ask(['sentinel', 'replicas', 'mymaster']);
    if ((known.match(/slave|replica/g) ?? []).length >= replicas && !known.includes('s_down')) break;
    if (Date.now() > deadline) throw new Error(`sentinels did not discover the replicas: ${known}`);
  }
  return {
    env: { REDIS_SENTINELS: sentinels.map((p) => `127.0.0.1:${p}`).join(','), REDIS_SENTINEL_NAME: 'mymaster' },
    async masterPort() {
      const reply = await ask(['sentinel', 'get-master-addr-by-name', 'mymaster']);
      return Number(reply.split('\n')[1]);
    },
    kill(port) {
      set.nodes.find((n) => n.port === port)?.child.kill('SIGKILL');
    },
    stop: () => set.stop(),
  };
}

export interface ClusterSetup {
  /** REDIS_CLUSTER_NODES for the deployment. */
  env: { REDIS_CLUSTER_NODES: string };
  /** Ports of the nodes that are masters now. */
  masterPorts(): Promise<number[]>;
  kill(port: number): void;
  stop(): Promise<void>;
}

/** A Redis Cluster of `masters` masters with one replica each (node timeout 1 s). */
export async function startCluster(masters = 3): Promise<ClusterSetup> {
  const set = await redisSet();
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters * 2; i++) {
      const port = await clusterPort();
      ports.push(port);
      const dir = join(set.dir, String(port));
      spawnSync('mkdir', ['-p', dir]);
      set.nodes.push(
        await spawnRedis(port, [
          ...serverArgs(port, dir),
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          '--cluster-node-timeout',
          '1000',
        ]),
      );
    }
    const created = await exec('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.output}`);
    for (const deadline = Date.now() + 20_000; ; await sleep(100)) {
      const states = await Promise.all(ports.map((p) => exec('redis-cli', ['-p', String(p), 'cluster', 'info'])));
      if (states.every((s) => s.output.includes('cluster_state:ok'))) break;
      if (Date.now() > deadline) throw new Error('cluster did not reach cluster_state:ok');
    }
    const live = () => set.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
    return {
      env: { REDIS_CLUSTER_NODES: ports.map((p) => `127.0.0.1:${p}`).join(',') },
      async masterPorts() {
        const node = live()[0]!;
        const nodes = (await exec('redis-cli', ['-p', String(node.port), 'cluster', 'nodes'])).output;
        return nodes
          .split('\n')
          .filter((l) => l.includes('master') && !l.includes('fail'))
          .map((l) => Number(/:(\d+)@/.exec(l)?.[1]));
      },
      kill(port) {
        set.nodes.find((n) => n.port === port)?.child.kill('SIGKILL');
      },
      stop: () => set.stop(),
    };
  } catch (error) {
    await set.stop();
    throw error;
  }
}
