import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where Prometheus' binaries are: PATH, then Debian's /usr/bin; fails naming the package to install. */
export function prometheusBinary(name: 'prometheus' | 'promtool'): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error(
    `${name} not found on PATH: install Debian's prometheus package (apt-get install -y prometheus), as .ci/run does`,
  );
}
