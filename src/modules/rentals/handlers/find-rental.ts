import type { CallContext } from '../../../shared/bus/context.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import type { Db } from '../../../shared/db/database.ts';
import { rentals } from '../contract.ts';
import { canSee, type Viewer } from '../domain/access.ts';
import { loadRental, loadSteps, type RentalRow } from '../saga/saga-store.ts';
import { toRentalDetails, type RentalDetailsView } from './rental-view.ts';

/** The authenticated caller, or 401. */
export function viewerOf(ctx: CallContext): Viewer {
  if (!ctx.caller) throw platformErrors.unauthorized();
  return { userId: ctx.caller.userId, role: ctx.caller.role };
}

/** A rental the viewer may see; to anyone else it does not exist (404). */
export async function findVisibleRental(db: Db, id: string, viewer: Viewer): Promise<RentalRow> {
  const row = await loadRental(db, id);
  if (!row || !canSee(row, viewer)) throw rentals.error('rentalNotFound', `No rental ${id}.`);
  return row;
}

/** A rental with its saga steps, read fresh. */
export async function detailsOf(db: Db, id: string): Promise<RentalDetailsView> {
  const row = await loadRental(db, id);
  if (!row) throw rentals.error('rentalNotFound', `No rental ${id}.`);
  return toRentalDetails(row, await loadSteps(db, id));
}
