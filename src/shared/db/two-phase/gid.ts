import { randomUUID } from 'node:crypto';
import { TwoPhaseInvalidGid } from './errors.ts';

/** The namespace every Shareloop GID starts with, so recovery never touches foreign prepared transactions. */
export const GID_NAMESPACE = 'sl';

const NAME = '[a-z][a-z0-9_-]{0,39}';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const NAME_RE = new RegExp(`^${NAME}$`);
const GID_RE = new RegExp(`^${GID_NAMESPACE}:(${NAME}):(${NAME}):(${UUID})$`);
const PREFIX_RE = new RegExp(`^${GID_NAMESPACE}:(?:${NAME}:(?:${NAME}:)?)?$`);

/** The parts of a GID: which coordinator runs the transaction, which participant holds it. */
export interface GidParts {
  coordinator: string;
  participant: string;
  /** The distributed transaction's id (a lowercase UUID), shared by all its participants. */
  transactionId: string;
}

/** A fresh distributed transaction id. */
export function newTransactionId(): string {
  return randomUUID();
}

/** Throws unless name is a valid coordinator or participant name (lowercase, digits, - and _). */
export function assertTwoPhaseName(name: string, what = 'name'): void {
  if (!NAME_RE.test(name))
    throw new TwoPhaseInvalidGid(`Invalid two-phase ${what} ${JSON.stringify(name)}: use ${NAME_RE.source}.`);
}

/**
 * Builds `sl:<coordinator>:<participant>:<transactionId>`. The UUID makes it unique per
 * cluster; the participant part keeps two participants of one transaction on one cluster
 * apart, and lets each participant list only its own prepared transactions by prefix.
 */
export function formatGid(parts: GidParts): string {
  const gid = `${GID_NAMESPACE}:${parts.coordinator}:${parts.participant}:${parts.transactionId}`;
  parseGid(gid);
  return gid;
}

/** Parses and validates a GID; throws TwoPhaseInvalidGid. The format admits no quote, so it is safe to inline in SQL. */
export function parseGid(gid: string): GidParts {
  const match = typeof gid === 'string' ? GID_RE.exec(gid) : null;
  if (!match)
    throw new TwoPhaseInvalidGid(
      `Invalid GID ${JSON.stringify(gid)}: expected ${GID_NAMESPACE}:<coordinator>:<participant>:<uuid>.`,
    );
  return { coordinator: match[1]!, participant: match[2]!, transactionId: match[3]! };
}

/** Whether gid follows the Shareloop GID format. */
export function isGid(gid: string): boolean {
  return GID_RE.test(gid);
}

/** `sl:<coordinator>:` or `sl:<coordinator>:<participant>:`, for listPrepared and resolveOrphans. */
export function gidPrefix(coordinator: string, participant?: string): string {
  assertTwoPhaseName(coordinator, 'coordinator');
  if (participant === undefined) return `${GID_NAMESPACE}:${coordinator}:`;
  assertTwoPhaseName(participant, 'participant');
  return `${GID_NAMESPACE}:${coordinator}:${participant}:`;
}

/** Throws unless prefix is `sl:`, `sl:<coordinator>:` or `sl:<coordinator>:<participant>:`. */
export function assertGidPrefix(prefix: string): void {
  if (!PREFIX_RE.test(prefix)) {
    throw new TwoPhaseInvalidGid(
      `Invalid GID prefix ${JSON.stringify(prefix)}: expected ${GID_NAMESPACE}:[<coordinator>:[<participant>:]].`,
    );
  }
}
