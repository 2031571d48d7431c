import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { reapOnExit, type RuntimeProcess } from './processes.ts';

/** Where HAProxy is: PATH, then Debian's /usr/sbin; fails naming the package. */
export function haproxyBinary(): string {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin']) {
    if (dir && existsSync(join(dir, 'haproxy'))) return join(dir, 'haproxy');
  }
  throw new Error("haproxy not found: install Debian's haproxy package (apt-get install -y haproxy), as .ci/run does");
}

/**
 * HAProxy on 127.0.0.1:port in front of the gateways, as in deploy/compose/haproxy/haproxy.cfg:
 * health checks on /readyz every 500 ms, least connections, and a request whose connection was
 * refused or answered nothing is tried again on another gateway.
 */
export function startHaproxy(
  port: number,
  gateways: { name: string; url: string }[],
): RuntimeProcess & { stop(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'shareloop-haproxy-'));
  const servers = gateways.map((g) => `  server ${g.name} ${new URL(g.url).host} check`).join('\n');
  const config = `global
  maxconn 4096
defaults
  mode http
  option redispatch
  retries 3
  retry-on conn-failure empty-response response-timeout 503
  timeout connect 1s
  timeout client 30s
  timeout server 30s
frontend api
  bind 127.0.0.1:${port}
  default_backend gateways
backend gateways
  balance leastconn
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
${servers}
`;
  writeFileSync(join(dir, 'haproxy.cfg'), config);
  const child = spawn(haproxyBinary(), ['-db', '-f', join(dir, 'haproxy.cfg')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  reapOnExit(child);
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { name: 'haproxy', child, url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}
