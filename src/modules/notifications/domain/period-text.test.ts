import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { periodText } from './period-text.ts';

const now = new Date('2030-06-15T12:00:00Z');
const text = (from: string, to: string) => periodText(new Date(from), new Date(to), now);

describe('periodText', () => {
  test('whole days within a month: the end at midnight belongs to the day before', () => {
    assert.equal(text('2030-07-03T00:00:00Z', '2030-07-06T00:00:00Z'), '3–5 July');
  });

  test('one day, or part of one, is that day', () => {
    assert.equal(text('2030-07-03T00:00:00Z', '2030-07-04T00:00:00Z'), '3 July');
    assert.equal(text('2030-07-03T09:00:00Z', '2030-07-03T17:30:00Z'), '3 July');
  });

  test('an end during a day includes that day', () => {
    assert.equal(text('2030-07-03T10:00:00Z', '2030-07-05T10:00:00Z'), '3–5 July');
  });

  test('across months, and across years with both years', () => {
    assert.equal(text('2030-06-30T00:00:00Z', '2030-07-03T00:00:00Z'), '30 June – 2 July');
    assert.equal(text('2030-12-30T00:00:00Z', '2031-01-03T00:00:00Z'), '30 December 2030 – 2 January 2031');
  });

  test('says the year when it is not the current one', () => {
    assert.equal(text('2031-07-03T00:00:00Z', '2031-07-06T00:00:00Z'), '3–5 July 2031');
    assert.equal(text('2031-02-27T00:00:00Z', '2031-03-02T00:00:00Z'), '27 February – 1 March 2031');
  });
});
