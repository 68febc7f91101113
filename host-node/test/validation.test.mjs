// Bad input is rejected with a TypeError or RangeError that names the field and the value.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyApiError, classifyError } from '../src/index.js';

// [input, error class, field, kind, text the message must contain]
const CASES = [
  [{ status: '\ud800' }, RangeError, 'status', 'invalid-value', 'status: expected well-formed Unicode text'],
  [{ status: 400n }, TypeError, 'status', 'wrong-type', 'status: expected a number, a string or null, got bigint 400n'],
  [{ status: true }, TypeError, 'status', 'wrong-type', 'got boolean true'],
  [{ status: {} }, TypeError, 'status', 'wrong-type', 'got an object'],
  [{ code: 5 }, TypeError, 'code', 'wrong-type', 'code: expected a string or null, got number 5'],
  [{ code: ['x'] }, TypeError, 'code', 'wrong-type', 'got an array'],
  [{ message: false }, TypeError, 'message', 'wrong-type', 'message: expected a string or null, got boolean false'],
  [{ message: Symbol('m') }, TypeError, 'message', 'wrong-type', 'got symbol Symbol(m)'],
  [{ api: 'put-state' }, RangeError, 'api', 'invalid-value', 'api: expected "checkpoint" or "get-state", got "put-state"'],
  [{ api: null }, TypeError, 'api', 'wrong-type', 'got null'],
  [{ api: 1 }, TypeError, 'api', 'wrong-type', 'got number 1'],
  [{ profile: 'Unified' }, RangeError, 'profile', 'invalid-value', 'profile: expected "unified", "python", "ts" or a release profile "python@<version>" / "ts@<version>", got "Unified"'],
  [{ profile: 'ts@2.3.0' }, RangeError, 'profile', 'invalid-value', 'expected one of "unified", "python@3.0.0", "ts@2.4.0", "python", "ts", got "ts@2.3.0"'],
  [{ statedScope: 'invocation' }, RangeError, 'statedScope', 'invalid-value', 'statedScope: expected "INVOCATION", "EXECUTION" or null'],
  [{ statedScope: 1 }, TypeError, 'statedScope', 'wrong-type', 'got number 1'],
  [{ wrapped: 'yes' }, TypeError, 'wrapped', 'wrong-type', 'wrapped: expected a boolean'],
  [{ profile: 'toString' }, RangeError, 'profile', 'invalid-value', 'got "toString"'],
  [{ profile: null }, TypeError, 'profile', 'wrong-type', 'got null'],
  [null, TypeError, 'failure', 'wrong-type', 'failure: expected an object, got null'],
  ['status', TypeError, 'failure', 'wrong-type', 'got string "status"'],
];

for (const [input, ErrorClass, field, kind, text] of CASES) {
  test(`classifyApiError(${describe(input)}) is a ${ErrorClass.name} naming ${field}`, () => {
    assert.throws(
      () => classifyApiError(input),
      (error) => {
        assert.equal(error.constructor, ErrorClass);
        assert.equal(error.field, field);
        assert.equal(error.kind, kind);
        assert.ok(Object.is(error.value, typeof input === 'object' && input !== null ? input[field] : input));
        assert.ok(error.message.includes(text), `${error.message} should contain ${text}`);
        return true;
      },
    );
  });
}

test('long strings are cut in messages', () => {
  assert.throws(() => classifyApiError({ api: 'x'.repeat(1000) }), (e) => e.message.length < 200 && e.message.includes('…'));
});

test('classifyError names the fields where it read them', () => {
  const cases = [
    [{ $metadata: { httpStatusCode: '4\udc00' } }, RangeError, 'err.$metadata.httpStatusCode'],
    [{ name: 7 }, TypeError, 'err.name'],
    [{ message: { text: 'x' } }, TypeError, 'err.message'],
  ];
  for (const [err, ErrorClass, field] of cases) {
    assert.throws(() => classifyError(err), (e) => e instanceof ErrorClass && e.field === field && e.message.startsWith(`${field}: `));
  }
  assert.throws(() => classifyError(new Error('x'), { profile: 'java' }), (e) => e instanceof RangeError && e.field === 'profile');
  assert.throws(() => classifyError(new Error('x'), null), (e) => e instanceof TypeError && e.field === 'options');
});

function describe(input) {
  const show = (v) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' || typeof v === 'symbol' ? String(v) : JSON.stringify(v));
  if (typeof input !== 'object' || input === null) return show(input);
  return `{${Object.entries(input).map(([k, v]) => `${k}: ${show(v)}`).join(', ')}}`;
}
