import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { AppError, type ErrorKind, platformErrors } from '../bus/errors.ts';

/** The one place where an error kind becomes an HTTP status. */
export const statusOfKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  precondition_required: 428,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  timeout: 504,
};

const titleOfKind: Record<ErrorKind, string> = {
  invalid: 'Bad Request',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  not_found: 'Not Found',
  conflict: 'Conflict',
  precondition_failed: 'Precondition Failed',
  too_large: 'Content Too Large',
  unsupported_media_type: 'Unsupported Media Type',
  unprocessable: 'Unprocessable Content',
  precondition_required: 'Precondition Required',
  rate_limited: 'Too Many Requests',
  internal: 'Internal Server Error',
  unavailable: 'Service Unavailable',
  timeout: 'Gateway Timeout',
};

/** RFC 9457 problem details, as every error response body. */
export const problemSchema = z
  .object({
    type: z.string().describe('URI identifying the problem type'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable machine-readable error code'),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;

/** The problem type URI of an error code. */
export function problemType(code: string): string {
  return `urn:shareloop:problem:${code}`;
}

/** Hono's own client errors (malformed JSON, wrong content type), as platform errors. */
function fromHttpException(error: HTTPException): AppError | undefined {
  if (error.status === 415)
    return new AppError('unsupportedMediaType', 'unsupported_media_type', 'Send the body as application/json.');
  if (error.status === 400) return platformErrors.validation([], 'The request body is not valid JSON.');
  if (error.status === 413) return new AppError('payloadTooLarge', 'too_large', 'The request body is too large.');
  return undefined;
}

/** Converts any thrown value to a problem; unknown errors become a bare 500. */
export function toProblem(error: unknown, instance?: string, requestId?: string): Problem {
  const app =
    error instanceof AppError
      ? error
      : (error instanceof HTTPException && fromHttpException(error)) || platformErrors.internal();
  return {
    type: problemType(app.code),
    title: titleOfKind[app.kind],
    status: statusOfKind[app.kind],
    detail: app.detail,
    code: app.code,
    ...(instance ? { instance } : {}),
    ...(requestId ? { requestId } : {}),
    ...(app.errors ? { errors: app.errors } : {}),
  };
}

/** A problem+json Response. */
export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}
