/** Transport-neutral error kinds; shared/http maps each to one HTTP status. */
export const errorKinds = [
  'invalid',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'precondition_failed',
  'precondition_required',
  'too_large',
  'unsupported_media_type',
  'unprocessable',
  'rate_limited',
  'unavailable',
  'timeout',
  'internal',
] as const;

export type ErrorKind = (typeof errorKinds)[number];

/** One field-level validation problem. */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * An error a caller may see: a stable code declared in a contract (or by the platform),
 * its kind, and a human-readable detail. Anything else thrown is an internal error.
 */
export class AppError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: string,
    kind: ErrorKind,
    detail: string,
    extra: { errors?: FieldError[]; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(detail, { cause: extra.cause });
    this.name = 'AppError';
    this.code = code;
    this.kind = kind;
    this.detail = detail;
    this.errors = extra.errors;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }

  /** The serializable shape that crosses process boundaries. */
  toJSON(): SerializedError {
    return {
      code: this.code,
      kind: this.kind,
      detail: this.detail,
      ...(this.errors ? { errors: this.errors } : {}),
      ...(this.retryAfterSeconds !== undefined ? { retryAfterSeconds: this.retryAfterSeconds } : {}),
    };
  }

  /** Rebuilds an AppError received from another process. */
  static fromJSON(value: SerializedError): AppError {
    const extra: { errors?: FieldError[]; retryAfterSeconds?: number } = {};
    if (value.errors) extra.errors = value.errors;
    if (value.retryAfterSeconds !== undefined) extra.retryAfterSeconds = value.retryAfterSeconds;
    return new AppError(value.code, value.kind, value.detail, extra);
  }
}

export interface SerializedError {
  code: string;
  kind: ErrorKind;
  detail: string;
  errors?: FieldError[];
  retryAfterSeconds?: number;
}

/** Errors raised by the platform itself rather than by a module. */
export const platformErrors = {
  validation: (errors: FieldError[], detail = 'The request is not valid.') =>
    new AppError('validationFailed', 'invalid', detail, { errors }),
  unauthorized: (detail = 'A valid access token is required.') => new AppError('unauthorized', 'unauthorized', detail),
  forbidden: (detail = 'You are not allowed to do this.') => new AppError('forbidden', 'forbidden', detail),
  notFound: (detail = 'No such resource.') => new AppError('notFound', 'not_found', detail),
  tooLarge: (limit: number) => new AppError('payloadTooLarge', 'too_large', `The request body exceeds ${limit} bytes.`),
  deadlineExceeded: (op: string) =>
    new AppError('deadlineExceeded', 'timeout', `The deadline passed before ${op} completed.`),
  unavailable: (detail: string, retryAfterSeconds?: number) =>
    new AppError(
      'serviceUnavailable',
      'unavailable',
      detail,
      retryAfterSeconds === undefined ? {} : { retryAfterSeconds },
    ),
  internal: () => new AppError('internal', 'internal', 'An unexpected error occurred.'),
} as const;

/** Converts zod issues into field errors with dotted paths. */
export function fieldErrors(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): FieldError[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}
