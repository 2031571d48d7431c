import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  compensationSteps,
  failureOf,
  forwardSteps,
  mayHaveTakenEffect,
  operationIdOf,
  planCompensation,
  planForward,
  type StepRecord,
  type StepStatus,
} from './saga.ts';

const log = (...records: [string, StepStatus, string?][]) =>
  new Map(records.map(([name, status, errorKind]) => [name, { name, status, errorKind: errorKind ?? null }]));

describe('the rental saga', () => {
  test('forward runs the steps in order, again after a crash or a lost answer, and stops at a clear no', () => {
    assert.deepEqual(planForward(log()), { kind: 'run', step: 'reserveItem' });
    assert.deepEqual(planForward(log(['reserveItem', 'started'])), { kind: 'run', step: 'reserveItem' });
    assert.deepEqual(planForward(log(['reserveItem', 'succeeded'])), { kind: 'run', step: 'authorizePayment' });
    assert.deepEqual(planForward(log(['reserveItem', 'succeeded'], ['authorizePayment', 'failed', 'timeout'])), {
      kind: 'run',
      step: 'authorizePayment',
    });
    assert.deepEqual(planForward(log(['reserveItem', 'succeeded'], ['authorizePayment', 'failed', 'unprocessable'])), {
      kind: 'compensate',
    });
    assert.deepEqual(
      planForward(log(['reserveItem', 'succeeded'], ['authorizePayment', 'skipped'], ['confirmRental', 'succeeded'])),
      { kind: 'run', step: 'markItemInUse' },
    );
    assert.deepEqual(planForward(log(...forwardSteps.map((s) => [s, 'succeeded'] as [string, StepStatus]))), {
      kind: 'done',
    });
  });

  test('compensation undoes what may have happened, in order: void, cancel', () => {
    assert.deepEqual(planCompensation(log(['reserveItem', 'failed', 'conflict'])), ['cancelRental']);
    assert.deepEqual(
      planCompensation(log(['reserveItem', 'succeeded'], ['authorizePayment', 'failed', 'unprocessable'])),
      ['cancelRental'],
    );
    assert.deepEqual(planCompensation(log(['reserveItem', 'succeeded'], ['authorizePayment', 'started'])), [
      'voidAuthorization',
      'cancelRental',
    ]);
    assert.deepEqual(
      planCompensation(
        log(['reserveItem', 'succeeded'], ['authorizePayment', 'skipped'], ['confirmRental', 'succeeded']),
      ),
      ['cancelRental'],
    );
    assert.deepEqual(
      planCompensation(
        log(
          ['reserveItem', 'succeeded'],
          ['authorizePayment', 'succeeded'],
          ['voidAuthorization', 'failed', 'timeout'],
        ),
      ),
      ['voidAuthorization', 'cancelRental'],
      'an unfinished compensation is repeated',
    );
    assert.deepEqual(
      planCompensation(log(['authorizePayment', 'succeeded'], ['voidAuthorization', 'succeeded'])),
      ['cancelRental'],
      'a finished one is not',
    );
    assert.deepEqual(planCompensation(log(['reserveItem', 'succeeded'], ['cancelRental', 'succeeded'])), []);
  });

  test('the handover waits: a waiting step is run again when the saga resumes', () => {
    const booked = log(
      ['reserveItem', 'succeeded'],
      ['authorizePayment', 'succeeded'],
      ['confirmRental', 'succeeded'],
      ['markItemInUse', 'waiting'],
    );
    assert.deepEqual(planForward(booked), { kind: 'run', step: 'markItemInUse' });
    assert.deepEqual(planCompensation(booked), ['voidAuthorization', 'cancelRental']);
  });

  test('property: compensation always ends with cancelRental once, in the fixed order, and undoes every step that may have acted', () => {
    const status = fc.constantFrom<StepStatus>('started', 'waiting', 'succeeded', 'failed', 'skipped');
    const kind = fc.constantFrom('timeout', 'unavailable', 'internal', 'conflict', 'unprocessable', 'not_found');
    const record = (name: string) =>
      fc.option(
        fc.record({ status, errorKind: kind }).map((r): StepRecord => ({ name, ...r })),
        { nil: undefined },
      );
    fc.assert(
      fc.property(fc.tuple(...forwardSteps.map(record)), (records) => {
        const steps = new Map(records.filter((r): r is StepRecord => r !== undefined).map((r) => [r.name, r]));
        const plan = planCompensation(steps);
        assert.equal(plan.at(-1), 'cancelRental');
        assert.deepEqual(
          plan,
          [...plan].sort((a, b) => compensationSteps.indexOf(a) - compensationSteps.indexOf(b)),
        );
        assert.equal(plan.includes('voidAuthorization'), mayHaveTakenEffect(steps.get('authorizePayment')));
      }),
    );
  });

  test('what a failure means to the renter', () => {
    assert.equal(
      failureOf('authorizePayment', { code: 'payments.insufficientFunds', kind: 'unprocessable' }),
      'insufficientFunds',
    );
    assert.equal(
      failureOf('authorizePayment', { code: 'payments.paymentDeclined', kind: 'unprocessable' }),
      'paymentRejected',
    );
    assert.equal(
      failureOf('reserveItem', { code: 'inventory.illegalTransition', kind: 'conflict' }),
      'itemUnavailable',
    );
    assert.equal(
      failureOf('markItemInUse', { code: 'inventory.reservationMismatch', kind: 'conflict' }),
      'itemUnavailable',
    );
    assert.equal(failureOf('reserveItem', { code: 'inventory.itemNotFound', kind: 'not_found' }), 'itemNotFound');
    assert.equal(failureOf('reserveItem', { code: 'upstreamTimeout', kind: 'timeout' }), 'rentalFailed');
    assert.equal(
      failureOf('confirmRental', { code: 'rentals.injectedFailure', kind: 'unprocessable' }),
      'rentalFailed',
    );
  });

  test('payment operation keys are derived from the rental and the step', () => {
    assert.equal(
      operationIdOf('8e03978e-40d5-43e8-bc93-6894a57f9324', 'authorize'),
      'rental-8e03978e-40d5-43e8-bc93-6894a57f9324:authorize',
    );
    assert.notEqual(operationIdOf('a', 'authorize'), operationIdOf('a', 'void'));
  });
});
