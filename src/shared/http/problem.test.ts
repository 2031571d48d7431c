import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HTTPException } from 'hono/http-exception';
import { AppError, errorKinds, platformErrors } from '../bus/errors.ts';
import { problemResponse, problemSchema, statusOfKind, toProblem } from './problem.ts';

/** An error whose message, stack and cause all carry things a client must never see. */
function leakyError(): Error {
  const cause = Object.assign(new Error('duplicate key value violates unique constraint "users_email_lower_key"'), {
    code: '23505',
  });
  return new Error(
    'select "password_hash" from "identity"."users" where email = $1 -- postgres://admin:hunter2@db/shareloop',
    { cause },
  );
}

const LEAKS = [
  /password_hash/,
  /select /i,
  /postgres:\/\//,
  /hunter2/,
  /users_email_lower_key/,
  /\bat .+:\d+:\d+/,
  /stack/i,
  /\.ts\b/,
];

function assertNoLeak(value: unknown) {
  const text = JSON.stringify(value);
  for (const leak of LEAKS) assert.doesNotMatch(text, leak);
}

describe('toProblem', () => {
  test('an AppError keeps its code, kind, detail and field errors', () => {
    const error = new AppError('identity.emailTaken', 'conflict', 'An account with this email already exists.');
    assert.deepEqual(toProblem(error, '/v1/auth/register', 'req-1'), {
      type: 'urn:shareloop:problem:identity.emailTaken',
      title: 'Conflict',
      status: 409,
      detail: 'An account with this email already exists.',
      code: 'identity.emailTaken',
      instance: '/v1/auth/register',
      requestId: 'req-1',
    });
    const validation = toProblem(platformErrors.validation([{ path: 'email', message: 'Invalid email address' }]));
    assert.equal(validation.status, 400);
    assert.equal(validation.code, 'validationFailed');
    assert.deepEqual(validation.errors, [{ path: 'email', message: 'Invalid email address' }]);
    assert.equal('instance' in validation, false);
    assert.equal('requestId' in validation, false);
  });

  test('an AppError never exposes its stack or its cause', () => {
    const error = new AppError('payments.declined', 'unprocessable', 'The payment was declined.', {
      cause: leakyError(),
    });
    const problem = toProblem(error, '/v1/pay', 'req-2');
    assert.equal(problem.status, 422);
    assert.equal(problem.detail, 'The payment was declined.');
    assert.deepEqual(Object.keys(problem).sort(), [
      'code',
      'detail',
      'instance',
      'requestId',
      'status',
      'title',
      'type',
    ]);
    assertNoLeak(problem);
  });

  test('an unknown error becomes a bare 500 with no internal message, stack or cause', () => {
    const problem = toProblem(leakyError(), '/v1/users', 'req-3');
    assert.deepEqual(problem, {
      type: 'urn:shareloop:problem:internal',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred.',
      code: 'internal',
      instance: '/v1/users',
      requestId: 'req-3',
    });
    assertNoLeak(problem);
  });

  test('thrown non-errors and look-alikes of AppError are internal errors', () => {
    const lookalike = { code: 'identity.emailTaken', kind: 'conflict', detail: 'select * from users', message: 'x' };
    for (const thrown of [
      'select 1',
      null,
      undefined,
      42,
      lookalike,
      new TypeError("Cannot read properties of undefined (reading 'id')"),
    ]) {
      const problem = toProblem(thrown);
      assert.equal(problem.status, 500);
      assert.equal(problem.code, 'internal');
      assert.equal(problem.detail, 'An unexpected error occurred.');
      assertNoLeak(problem);
    }
  });

  test("hono's client errors become their 4xx problems; any other HTTPException is a bare 500", () => {
    assert.equal(toProblem(new HTTPException(400, { message: 'Malformed JSON in request body' })).status, 400);
    assert.equal(
      toProblem(new HTTPException(400, { message: 'Malformed JSON in request body' })).code,
      'validationFailed',
    );
    assert.equal(toProblem(new HTTPException(415, { message: 'Unsupported Media Type' })).status, 415);
    assert.equal(toProblem(new HTTPException(413)).status, 413);
    const other = toProblem(new HTTPException(401, { message: 'select * from sessions', cause: leakyError() }));
    assert.equal(other.status, 500);
    assert.equal(other.detail, 'An unexpected error occurred.');
    assertNoLeak(other);
  });

  test('every error kind maps to a 4xx or 5xx status and a valid problem', () => {
    for (const kind of errorKinds) {
      assert.ok(statusOfKind[kind] >= 400 && statusOfKind[kind] < 600, kind);
      const problem = toProblem(new AppError(`test.${kind}`, kind, 'detail'));
      assert.equal(problem.status, statusOfKind[kind]);
      assert.ok(problem.title.length > 0);
      assert.ok(problemSchema.safeParse(problem).success, kind);
    }
  });
});

describe('problemResponse', () => {
  test('is problem+json with the problem status and extra headers', async () => {
    const response = problemResponse(toProblem(platformErrors.unavailable('down', 7)), { 'retry-after': '7' });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    assert.equal(response.headers.get('retry-after'), '7');
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.code, 'serviceUnavailable');
    assert.equal(body.status, 503);
  });
});
