/** `npm run db:generate [-- module…]`: drizzle-kit generate for each module that has db/schema.ts, and the platform's tables. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const requested = process.argv.slice(2);
const modules = [...readdirSync('src/modules').filter((m) => existsSync(`src/modules/${m}/db/schema.ts`)), 'platform'];
for (const module of requested.length > 0 ? requested : modules) {
  process.stdout.write(`[db:generate] ${module}\n`);
  const run = spawnSync('npx', ['drizzle-kit', 'generate'], {
    stdio: 'inherit',
    env: { ...process.env, MODULE: module },
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
