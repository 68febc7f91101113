// classifyApiError and classifyError through the public API.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  InvalidParameterValueException,
  KMSAccessDeniedException,
  ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { classifyApiError, classifyError } from '../src/index.js';

const IPVE = 'InvalidParameterValueException';
const result = (category, rule) => ({ category, retryable: category === 'INVOCATION', rule });

test('defaults: checkpoint API, unified profile, no HTTP response', () => {
  assert.deepEqual(classifyApiError(), result('INVOCATION', 'no-http-response'));
  assert.deepEqual(classifyApiError({}), result('INVOCATION', 'no-http-response'));
  assert.deepEqual(classifyApiError({ status: 400, code: 'ValidationException' }), result('EXECUTION', 'client-error'));
  assert.deepEqual(
    classifyApiError({ status: 400, code: 'ValidationException' }),
    classifyApiError({ status: 400, code: 'ValidationException', api: 'checkpoint', profile: 'unified' }),
  );
});

test('the profiles split on the service spelling of the stale-token message', () => {
  const failure = { status: 400, code: IPVE, message: 'Invalid checkpoint token: x' };
  assert.deepEqual(classifyApiError({ ...failure, profile: 'python' }), result('INVOCATION', 'stale-checkpoint-token'));
  assert.deepEqual(classifyApiError({ ...failure, profile: 'ts' }), result('EXECUTION', 'client-error'));
  assert.deepEqual(classifyApiError({ ...failure, profile: 'unified' }), result('INVOCATION', 'stale-checkpoint-token'));
});

test('a 4xx without a body: null and absent fields are the same', () => {
  for (const body of [{}, { code: null, message: null }, { code: undefined }]) {
    assert.deepEqual(classifyApiError({ status: 404, profile: 'python', ...body }), result('INVOCATION', 'client-error-without-body'));
    assert.deepEqual(classifyApiError({ status: 404, profile: 'ts', ...body }), result('EXECUTION', 'client-error'));
  }
  // An empty string is present: Python then has a body.
  assert.deepEqual(classifyApiError({ status: 404, message: '', profile: 'python' }), result('EXECUTION', 'client-error'));
});

test('state fetches: ts leaves them unclassified, unified classifies them', () => {
  const failure = { api: 'get-state', status: 400, code: 'ValidationException', message: 'bad' };
  assert.deepEqual(classifyApiError({ ...failure, profile: 'ts' }), result('INVOCATION', 'state-fetch-unclassified'));
  assert.deepEqual(classifyApiError(failure), result('EXECUTION', 'client-error'));
});

test('status bounds: 0 and 65535 are accepted', () => {
  assert.equal(classifyApiError({ status: 0, code: 'ValidationException' }).rule, 'no-http-response');
  assert.equal(classifyApiError({ status: -0 }).rule, 'no-http-response');
  assert.equal(classifyApiError({ status: 65535 }).rule, 'other-status');
});

test('results are frozen and shared per rule', () => {
  const a = classifyApiError({ status: 503 });
  assert.ok(Object.isFrozen(a));
  assert.equal(classifyApiError({ status: 500, profile: 'python' }), a);
});

test('classifyError reads an AWS SDK v3 exception: $metadata.httpStatusCode, name, message', () => {
  const metadata = (httpStatusCode) => ({ $metadata: { httpStatusCode } });
  const stale = new InvalidParameterValueException({ message: 'Invalid checkpoint token: x', ...metadata(400) });
  assert.deepEqual(classifyError(stale), result('INVOCATION', 'stale-checkpoint-token'));
  assert.deepEqual(classifyError(stale, { profile: 'ts' }), result('EXECUTION', 'client-error'));
  assert.deepEqual(classifyError(stale, { profile: 'python', api: 'get-state' }), result('INVOCATION', 'stale-checkpoint-token'));
  assert.deepEqual(classifyError(new KMSAccessDeniedException({ message: 'denied', ...metadata(502) }), { profile: 'ts' }), result('EXECUTION', 'kms-customer-error'));
  assert.deepEqual(classifyError(new TooManyRequestsException({ message: 'slow down', ...metadata(429) })), result('INVOCATION', 'throttled'));
  assert.deepEqual(classifyError(new ServiceException({ message: 'oops', ...metadata(500) })), result('INVOCATION', 'server-error'));
});

test('classifyError on values that are not AWS errors', () => {
  // A thrown non-object: no status, no code.
  for (const value of ['boom', 42, null, undefined, Symbol('s')]) {
    assert.deepEqual(classifyError(value, { profile: 'python' }), result('INVOCATION', 'no-http-response'));
  }
  // A plain Error: code 'Error', no status.
  assert.deepEqual(classifyError(new Error('x')), result('INVOCATION', 'no-http-response'));
  // The code is the name: a plain Error with a 4xx status has a body, so Python fails it.
  const plain = Object.assign(new Error(''), { $metadata: { httpStatusCode: 400 } });
  assert.deepEqual(classifyError(plain, { profile: 'python' }), result('EXECUTION', 'client-error'));
});

test('classifyError falls back to String(err) for the message of a non-Error, as the SDK does', () => {
  const shaped = { name: IPVE, $metadata: { httpStatusCode: 400 }, toString: () => 'Invalid Checkpoint Token: x' };
  assert.deepEqual(classifyError(shaped, { profile: 'ts' }), result('INVOCATION', 'stale-checkpoint-token'));
  // An empty message counts as missing (the SDK uses `||`).
  assert.deepEqual(classifyError({ ...shaped, message: '' }, { profile: 'ts' }), result('INVOCATION', 'stale-checkpoint-token'));
  assert.deepEqual(classifyError({ ...shaped, message: 'other' }, { profile: 'ts' }), result('EXECUTION', 'client-error'));
  // An Error's own message is used even when empty; its toString is not.
  const error = Object.assign(new Error(''), { name: IPVE, $metadata: { httpStatusCode: 400 }, toString: shaped.toString });
  assert.deepEqual(classifyError(error, { profile: 'ts' }), result('EXECUTION', 'client-error'));
  // A value String() cannot convert has no message rather than crashing the error path.
  const bare = Object.assign(Object.create(null), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
  assert.deepEqual(classifyError(bare, { profile: 'python' }), result('EXECUTION', 'client-error'));
});
