/**
 * A rentals process that coordinates one settlement and SIGKILLs itself mid-protocol:
 *   CRASH_AT=after-prepares  both participants prepared, no decision logged yet
 *   CRASH_AT=after-decision  `committing` logged durably, no COMMIT PREPARED sent yet
 * Env: RENTALS_URL, PAYMENTS_URL, COORDINATOR, RENTAL_ID, CRASH_AT. Exits 3 if it survives.
 */
import type { TwoPhaseParticipant } from '../coordinator.ts';
import { createTwoPhaseCoordinator } from '../coordinator.ts';
import { localFinisher, localParticipant } from '../local-participant.ts';
import { captureHold, completeRental, openStores, twoPhaseLog } from './fixtures.ts';

const env = (name: string) => process.env[name] ?? (console.error(`${name} is required`), process.exit(2));
const crashAt = env('CRASH_AT');
const rentalId = env('RENTAL_ID');
const stores = openStores(env('RENTALS_URL'), env('PAYMENTS_URL'));
const die = (where: string) => {
  console.log(JSON.stringify({ crashing: where }));
  process.kill(process.pid, 'SIGKILL');
};

const participants = [
  localParticipant('rentals', stores.rentalsSql, completeRental(rentalId)),
  localParticipant('payments', stores.paymentsSql, captureHold(rentalId)),
];
let prepared = 0;
const crashing: TwoPhaseParticipant[] = participants.map((p) => ({
  ...p,
  async prepare(gid) {
    const vote = await p.prepare(gid);
    console.log(JSON.stringify({ prepared: gid }));
    // The last vote is in, the coordinator has not seen it: no decision can have been logged.
    if (++prepared === participants.length && crashAt === 'after-prepares') die(crashAt);
    return vote;
  },
  async commit(gid, vote) {
    // commit is only called once `committing` is durably logged.
    if (crashAt === 'after-decision') die(crashAt);
    return p.commit(gid, vote);
  },
}));

const coordinator = createTwoPhaseCoordinator({
  name: env('COORDINATOR'),
  db: stores.rentalsDb,
  table: twoPhaseLog,
  finishers: [localFinisher('rentals', stores.rentalsSql), localFinisher('payments', stores.paymentsSql)],
});
const result = await coordinator.run(crashing);
console.error(`survived the crash point ${crashAt}: ${JSON.stringify(result)}`);
await stores.close();
process.exit(3);
