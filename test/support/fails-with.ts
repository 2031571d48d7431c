import assert from 'node:assert/strict';
import { AppError } from '../../src/shared/bus/errors.ts';

/** Asserts the promise fails with the given error code; returns the error. */
export async function failsWith(promise: Promise<unknown>, code: string): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, code, error.detail);
    return error;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}
