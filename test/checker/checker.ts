import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { reapOnExit } from '../../scripts/processes.ts';
import { systemContext } from '../../src/shared/bus/context.ts';
import { parseConfig } from '../../src/shared/config/config.ts';
import { hostModules } from '../../src/shared/modules/platform.ts';
import { createLogger } from '../../src/shared/observability/logger.ts';
import { probe, probeModule, probeSinkModule } from './probe-modules.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NODE_APP = 'checker-node';

export interface CheckerOptions {
  topology: 'monolith' | 'split';
  databaseUrl: string;
  redisUrl: string;
  events: number;
  kills: number;
  progress?: (line: string) => void;
}

export interface CheckerResult {
  acknowledged: number;
  applied: number;
  lost: number;
  unexpected: number;
  duplicated: number;
  kills: number;
  terminatedConnections: number;
  deadLetters: number;
  seconds: number;
}

interface Node {
  role: string;
  child: ChildProcess;
}

/**
 * The lost/duplicate checker, in the Jepsen style: produces numbered events through the
 * outbox while SIGKILLing relay and consumer processes at random and terminating their
 * database connections, restarts them, waits for the system to drain, then compares what
 * was acknowledged with what was applied.
 */
export async function runChecker(options: CheckerOptions): Promise<CheckerResult> {
  const started = Date.now();
  const say = options.progress ?? (() => {});
  const prefix = `chk${randomBytes(4).toString('hex')}:`;
  const env = {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'error',
    NODE_ENV: 'test',
    PGAPPNAME: NODE_APP,
    OUTBOX_POLL_MS: '200',
    EVENT_RETRY_DELAY_MS: '500',
    EVENT_MAX_ATTEMPTS: '100',
    DB_POOL_MAX: '4',
  };

  // The producer: this process, on connections the chaos never terminates.
  const config = parseConfig({ ...env, DATABASE_URL: withAppName(options.databaseUrl, 'checker-producer') });
  const producer = await hostModules({
    config,
    log: createLogger({ level: 'error', pretty: false, name: 'checker' }),
    service: 'checker',
    modules: [probeModule, probeSinkModule],
  });
  const sql = postgres(withAppName(options.databaseUrl, 'checker-observer'), { max: 2, onnotice: () => {} });
  const roles = options.topology === 'split' ? ['relay', 'relay', 'consumer', 'consumer'] : ['all', 'all'];
  const nodes: Node[] = [];
  const startNode = async (role: string) => {
    // stderr piped, not inherited: an inherited pipe would keep the test runner waiting.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/checker/node.ts'], {
      cwd: root,
      env: { ...process.env, ...env, ROLE: role },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    reapOnExit(child);
    child.stderr!.resume();
    await new Promise<void>((resolve, reject) => {
      // A read may end inside "ready" when log lines fill the pipe: look across chunk ends.
      let tail = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        tail = (tail + chunk.toString()).slice(-4096);
        if (tail.includes('ready\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`checker ${role} node exited ${code} before ready`)));
    });
    nodes.push({ role, child });
  };

  try {
    await Promise.all(roles.map(startNode));
    say(
      `[checker] ${options.topology}: ${roles.length} nodes up; producing ${options.events} events with ${options.kills} kills`,
    );
    const acknowledged = new Set<string>();
    let failedPings = 0;
    let produced = 0;
    const produce = async () => {
      while (produced < options.events) {
        const n = produced++;
        try {
          const { messageId } = await producer.platform.bus.call(probe.ops.ping, { n }, systemContext());
          acknowledged.add(messageId);
        } catch {
          failedPings++;
        }
        if (n % 500 === 0) say(`[checker] produced ${n}/${options.events}, kills so far ${kills}`);
      }
    };

    let kills = 0;
    let terminated = 0;
    const chaos = async () => {
      const gap = Math.max(50, Math.floor(options.events / 2 / Math.max(1, options.kills)));
      while (kills < options.kills) {
        await sleep(gap + Math.random() * gap);
        const victim = nodes.splice(Math.floor(Math.random() * nodes.length), 1)[0]!;
        // A node that already died on its own would never emit 'exit' again.
        const gone =
          victim.child.exitCode !== null || victim.child.signalCode !== null
            ? Promise.resolve()
            : new Promise((r) => victim.child.once('exit', r));
        victim.child.kill('SIGKILL');
        await gone;
        kills++;
        const [row] =
          await sql`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = ${NODE_APP}`;
        terminated += row?.n ?? 0;
        await startNode(victim.role);
      }
    };
    await Promise.all([produce(), chaos()]);
    say(`[checker] production done (${acknowledged.size} acknowledged, ${failedPings} failed); draining…`);

    // Drain: every acknowledged event applied, nothing left in the outbox.
    const deadline = Date.now() + 120_000;
    let applied = 0;
    for (;;) {
      const [state] = await sql`select
          (select count(*)::int from probe.outbox where sent_at is null) as unsent,
          (select count(*)::int from probesink.effects) as applied`;
      applied = state!.applied;
      if (state!.unsent === 0 && applied >= acknowledged.size) break;
      if (Date.now() > deadline) break;
      await sleep(250);
    }
    const effects = await sql<{ message_id: string }[]>`select message_id from probesink.effects`;
    const appliedIds = new Set(effects.map((e) => e.message_id));
    const [dups] =
      await sql`select (count(*) - count(distinct (consumer, message_id)))::int as n from probesink.effects`;
    const [deadLetters] = await sql`select count(*)::int as n from probesink.dead_letters`;
    const lost = [...acknowledged].filter((id) => !appliedIds.has(id)).length;
    // Pings that failed may or may not have committed; anything beyond them is unexpected.
    const unexpected = Math.max(0, [...appliedIds].filter((id) => !acknowledged.has(id)).length - failedPings);
    return {
      acknowledged: acknowledged.size,
      applied: appliedIds.size,
      lost,
      unexpected,
      duplicated: dups!.n,
      kills,
      terminatedConnections: terminated,
      deadLetters: deadLetters!.n,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    await Promise.all(
      nodes.map(
        ({ child }) =>
          new Promise((r) => (child.exitCode !== null ? r(null) : (child.once('exit', r), child.kill('SIGTERM')))),
      ),
    );
    await sql.end({ timeout: 5 });
    await producer.stop();
  }
}

function withAppName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
