/** Base of every error the two-phase-commit toolkit raises; `code` is stable for mapping. */
export class TwoPhaseError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * The database cannot take part in two-phase commit: `max_prepared_transactions` is 0 (the
 * PostgreSQL default) or it is embedded PGlite, which has no prepared transactions.
 * Callers map it to a problem+json (503: the deployment, not the request, is at fault).
 */
export class TwoPhaseUnsupported extends TwoPhaseError {
  /** The server's max_prepared_transactions, when it could be read. */
  readonly maxPreparedTransactions: number | undefined;

  constructor(detail: string, maxPreparedTransactions?: number, options?: { cause?: unknown }) {
    super(
      'twoPhaseUnsupported',
      `Two-phase commit needs PostgreSQL with max_prepared_transactions > 0 (a restart is needed to change it); ${detail}. ` +
        'Embedded PGlite never supports it: give the module its own <MODULE>_DATABASE_URL (or DATABASE_URL).',
      options,
    );
    this.maxPreparedTransactions = maxPreparedTransactions;
  }
}

/** A GID that does not follow `sl:<coordinator>:<participant>:<uuid>`, or a bad name or prefix. */
export class TwoPhaseInvalidGid extends TwoPhaseError {
  constructor(detail: string) {
    super('twoPhaseInvalidGid', detail);
  }
}

/** The GID is prepared in another database of the cluster: COMMIT/ROLLBACK PREPARED must run there. */
export class TwoPhaseWrongDatabase extends TwoPhaseError {
  constructor(
    readonly gid: string,
    options?: { cause?: unknown },
  ) {
    super(
      'twoPhaseWrongDatabase',
      `Prepared transaction ${gid} belongs to another database; finish it connected to the database that prepared it.`,
      options,
    );
  }
}

/** The GID is already prepared in another database of the cluster (GIDs are cluster-wide). */
export class TwoPhaseGidInUse extends TwoPhaseError {
  constructor(
    readonly gid: string,
    options?: { cause?: unknown },
  ) {
    super(
      'twoPhaseGidInUse',
      `Transaction identifier ${gid} is already prepared in another database of this cluster.`,
      options,
    );
  }
}

/**
 * A prepared transaction was finished the other way than decided (for instance an operator ran
 * ROLLBACK PREPARED on a transaction the coordinator decided to commit), or its xid is unknown
 * to this server (a failover lost it). The databases now disagree: alert, never retry blindly.
 */
export class TwoPhaseHeuristicMismatch extends TwoPhaseError {
  constructor(
    readonly gid: string,
    detail: string,
  ) {
    super('twoPhaseHeuristicMismatch', `Prepared transaction ${gid}: ${detail}`);
  }
}

/** The participant's deadline passed before PREPARE: its work was rolled back (a "no" vote). */
export class TwoPhaseDeadlineExceeded extends TwoPhaseError {
  constructor(readonly gid: string) {
    super('twoPhaseDeadlineExceeded', `The deadline passed before ${gid} could be prepared; its work was rolled back.`);
  }
}

/**
 * PostgreSQL refused to PREPARE the work (SQLSTATE 0A000): it ran LISTEN/UNLISTEN/NOTIFY
 * (pg_notify, e.g. the outbox publisher's wake-up), used temporary tables or a WITH HOLD cursor.
 */
export class TwoPhaseNotPreparable extends TwoPhaseError {
  constructor(
    readonly gid: string,
    options?: { cause?: unknown },
  ) {
    super(
      'twoPhaseNotPreparable',
      `PostgreSQL cannot PREPARE ${gid}: prepared work must not LISTEN/NOTIFY (pg_notify, such as an outbox wake-up: send it after COMMIT PREPARED), use temporary tables or WITH HOLD cursors. ${
        (options?.cause as Error | undefined)?.message ?? ''
      }`.trim(),
      options,
    );
  }
}

/**
 * The work swallowed a database error, leaving its transaction aborted: PostgreSQL then answers
 * PREPARE TRANSACTION with a silent ROLLBACK. Reported as a "no" vote, never as prepared.
 */
export class TwoPhaseWorkAborted extends TwoPhaseError {
  constructor(readonly gid: string) {
    super(
      'twoPhaseWorkAborted',
      `The work of ${gid} left its transaction aborted (a caught database error?); it was rolled back, not prepared.`,
    );
  }
}

/** A participant did not answer prepare in time; the coordinator aborts the transaction. */
export class TwoPhasePrepareTimeout extends TwoPhaseError {
  constructor(
    readonly participant: string,
    timeoutMs: number,
  ) {
    super('twoPhasePrepareTimeout', `Participant ${participant} did not prepare within ${timeoutMs} ms.`);
  }
}

/**
 * The coordinator could not learn whether its decision was recorded (the log write failed in
 * flight). Every participant stays prepared; recovery finishes the transaction either way.
 */
export class TwoPhaseInDoubt extends TwoPhaseError {
  constructor(
    readonly transactionId: string,
    options?: { cause?: unknown },
  ) {
    super(
      'twoPhaseInDoubt',
      `The outcome of two-phase transaction ${transactionId} is not known yet; recovery will finish it.`,
      options,
    );
  }
}
