/**
 * A payments process that prepares its share of a settlement and SIGKILLs itself right after
 * PREPARE TRANSACTION, before it can answer the coordinator.
 * Env: PAYMENTS_URL, GID, RENTAL_ID. Exits 3 if it survives.
 */
import { prepareTransaction } from '../participant.ts';
import { openTwoPhaseClient } from '../support.ts';
import { captureHold } from './fixtures.ts';

const env = (name: string) => process.env[name] ?? (console.error(`${name} is required`), process.exit(2));
const sql = openTwoPhaseClient(env('PAYMENTS_URL'));
const vote = await prepareTransaction(sql, env('GID'), captureHold(env('RENTAL_ID')));
console.log(JSON.stringify({ prepared: vote.gid }));
process.kill(process.pid, 'SIGKILL');
await sql.end();
process.exit(3);
