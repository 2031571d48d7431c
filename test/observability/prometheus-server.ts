import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reapOnExit, stopAll, waitForReady } from '../../scripts/processes.ts';
import { freePort } from '../support/services.ts';
import { prometheusBinary } from './prometheus-binaries.ts';

/** The repository's alert rules directory: Prometheus loads every *.yml in it. */
export const rulesDir = fileURLToPath(new URL('../../deploy/observability/prometheus/rules/', import.meta.url));

export interface ScrapeTarget {
  /** host:port of a process serving /metrics. */
  address: string;
  labels: Record<string, string>;
}

export interface PrometheusServer {
  url: string;
  /** Runs an instant query; resolves to the result vector (throws on a parse or evaluation error). */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Current rule groups as the rules API reports them. */
  /** Alerts pending or firing now. */
  alerts(): Promise<{ labels: Record<string, string>; state: string; activeAt: string }[]>;
  rules(): Promise<
    {
      name: string;
      file: string;
      rules: {
        name: string;
        query: string;
        health: string;
        lastError?: string;
        type: string;
        labels?: Record<string, string>;
        state?: string;
      }[];
    }[]
  >;
  stop(): Promise<void>;
}

/**
 * Starts the real Prometheus on a free loopback port, scraping the given targets every
 * second and evaluating the repository's rules directory every second (short intervals for tests).
 */
export async function startPrometheus(targets: ScrapeTarget[], rules = rulesDir): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'shareloop-prom-'));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '900ms' },
    rule_files: [join(rules, '*.yml')],
    scrape_configs: [
      { job_name: 'shareloop', static_configs: targets.map((t) => ({ targets: [t.address], labels: t.labels })) },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config)); // JSON is YAML
  const port = await freePort();
  const child = spawn(
    prometheusBinary('prometheus'),
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  reapOnExit(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopAll([child]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForReady(`${url}/-/ready`, 30_000, child);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}; prometheus said: ${stderr}`);
  }
  const api = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    const body = (await response.json()) as { status: string; data: any; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? response.status}`);
    return body.data;
  };
  return {
    url,
    query: async (expr) => {
      const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      if (data.resultType !== 'vector') throw new Error(`${expr} is a ${data.resultType}, not a vector`);
      return data.result;
    },
    rules: async () => (await api('/api/v1/rules')).groups,
    alerts: async () => (await api('/api/v1/alerts')).alerts,
    stop,
  };
}
