/**
 * Versioned contracts (`npm run contracts:check`, `npm run contracts:snapshot`).
 *
 *   contracts:check     compares every contract (ops and events as JSON Schema) and the OpenAPI
 *                       document with the release recorded under contracts/; exits 1 when a
 *                       breaking change comes without a major bump, or any change without a minor one
 *   contracts:snapshot  records the current contracts as the release (one file per module + openapi.json)
 *
 * `--dir <path>` reads and writes another folder than contracts/ (tests use it).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRelease, type Verdict } from './contracts/compare.ts';
import { type ContractSnapshot, describeRelease, type OpenApiSnapshot } from './contracts/describe.ts';

const OPENAPI_FILE = 'openapi.json';

function readRelease(dir: string): { contracts: ContractSnapshot[]; openapi: OpenApiSnapshot | undefined } {
  if (!existsSync(dir)) return { contracts: [], openapi: undefined };
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  const read = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));
  return {
    contracts: files.filter((f) => f !== OPENAPI_FILE).map((f) => read(f) as ContractSnapshot),
    openapi: files.includes(OPENAPI_FILE) ? (read(OPENAPI_FILE) as OpenApiSnapshot) : undefined,
  };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

async function snapshot(dir: string): Promise<void> {
  const release = await describeRelease();
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) if (file.endsWith('.json')) rmSync(join(dir, file));
  for (const contract of release.contracts) writeFileSync(join(dir, `${contract.name}.json`), json(contract));
  writeFileSync(join(dir, OPENAPI_FILE), json(release.openapi));
  console.log(
    `[contracts] recorded ${release.contracts.map((c) => `${c.name} ${c.version}`).join(', ')}, openapi ${release.openapi.version} in ${dir}`,
  );
}

function report(verdicts: Verdict[]): boolean {
  let ok = true;
  for (const v of verdicts) {
    if (v.changes.length === 0 && !v.problem) continue;
    const status = v.problem ? `FAIL: ${v.problem}` : 'ok';
    console.log(`[contracts] ${v.unit} ${v.before ?? '(new)'} → ${v.after ?? '(gone)'}: ${status}`);
    for (const c of v.changes) console.log(`  ${c.breaking ? 'breaking' : 'additive'} ${c.kind}: ${c.path}`);
    if (v.problem) ok = false;
  }
  return ok;
}

async function check(dir: string): Promise<boolean> {
  const committed = readRelease(dir);
  if (committed.contracts.length === 0) {
    console.error(`[contracts] no release recorded in ${dir}: run npm run contracts:snapshot`);
    return false;
  }
  const ok = report(checkRelease(committed, await describeRelease()));
  if (ok) console.log('[contracts] every contract version fits its changes since the recorded release');
  return ok;
}

const args = process.argv.slice(2);
const dirAt = args.indexOf('--dir');
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = dirAt >= 0 && args[dirAt + 1] ? resolve(args[dirAt + 1]!) : join(root, 'contracts');
const command = args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '--dir');
if (command === 'snapshot') {
  await snapshot(dir);
  process.exit(0);
} else if (command === 'check') {
  process.exit((await check(dir)) ? 0 : 1);
} else {
  console.error('usage: tsx scripts/contracts.ts check|snapshot [--dir <path>]');
  process.exit(2);
}
