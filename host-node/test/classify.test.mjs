// classifyApiError and classifyError through the public API.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  InvalidParameterValueException,
  KMSAccessDeniedException,
  ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { DurableExecutionClientError } from '@aws/durable-execution-sdk-js';
import { aws, classifyApiError, classifyError, profiles, retry } from '../src/index.js';
import { step } from '../src/step-index.js';

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

// ---- statuses that are not an integer 0..65535: read as the JS SDK reads $metadata.httpStatusCode

test('odd statuses are classified as JavaScript compares them, not rejected', () => {
  const rule = (status) => classifyApiError({ status, code: 'SomeError', message: 'm' }).rule;
  assert.equal(rule('503'), 'server-error');
  assert.equal(rule(' 404 '), 'client-error');
  assert.equal(rule(404.5), 'client-error');
  assert.equal(rule(70000), 'other-status');
  assert.equal(rule(-1), 'other-status');
  assert.equal(rule(NaN), 'other-status');
  assert.equal(rule(Infinity), 'other-status');
  assert.equal(rule('0x1f4'), 'server-error');
  assert.equal(rule(''), 'no-http-response');
});

test('a text 429 is a client error under ts@2.4.0 (strict !== 429), throttling elsewhere', () => {
  const args = { status: '429', code: 'TooManyRequestsException', message: 'Rate exceeded' };
  assert.equal(classifyApiError({ ...args, profile: 'ts' }).rule, 'client-error');
  assert.equal(classifyApiError({ ...args, profile: 'ts@2.4.0' }).rule, 'client-error');
  assert.equal(classifyApiError({ ...args, profile: 'python' }).rule, 'throttled');
  assert.equal(classifyApiError(args).rule, 'throttled');
  const err = Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: '429' } });
  assert.equal(classifyError(err, { profile: 'ts' }).category, 'EXECUTION');
});

// ---- release profiles

test('the core lists release profiles; an alias answers like its release', () => {
  assert.deepEqual(profiles().map((p) => [p.name, p.family, p.alias]), [
    ['unified', 'unified', null],
    ['python@3.0.0', 'python', 'python'],
    ['ts@2.4.0', 'ts', 'ts'],
  ]);
  assert.ok(Object.isFrozen(profiles()) && Object.isFrozen(profiles()[1]));
  for (const [alias, release] of [['python', 'python@3.0.0'], ['ts', 'ts@2.4.0']]) {
    for (const status of [400, 429, 502, null, '429']) {
      for (const [code, message] of [[IPVE, 'Invalid checkpoint token: x'], ['KMSDisabledException', 'k'], [null, null]]) {
        for (const api of ['checkpoint', 'get-state']) {
          const failure = { api, status, code, message };
          assert.equal(classifyApiError({ ...failure, profile: alias }), classifyApiError({ ...failure, profile: release }));
        }
      }
    }
  }
});

test('retry and step accept release profile names', () => {
  const byAlias = retry.createStrategy(retry.preset('default'), { profile: 'ts' });
  const byRelease = retry.createStrategy(retry.preset('default'), { profile: 'ts@2.4.0' });
  for (const attempt of [1, 2, 3]) {
    assert.deepEqual(byRelease.decide(new Error('x'), attempt, { random: 0.5 }), byAlias.decide(new Error('x'), attempt, { random: 0.5 }));
  }
  const config = retry.exponential({ maxAttempts: 5, initialDelay: { seconds: 2 }, backoffRate: 3, jitter: 'NONE' });
  assert.deepEqual(aws.createRetryStrategy(config, { profile: 'ts@2.4.0' })(new Error('x'), 2), aws.createRetryStrategy(config)(new Error('x'), 2));
  assert.deepEqual(step.operationId('python@3.0.0', null, 1), step.operationId('python', null, 1));
  const call = (profile) => ({ id: 'c4ca4238a0b92382', name: 'charge', profile });
  assert.deepEqual(step.begin(call('ts@2.4.0'), null, { nowMs: 1 }), step.begin(call('ts'), null, { nowMs: 1 }));
  assert.throws(() => retry.createStrategy(retry.preset('default'), { profile: 'ts@2.3.0' }), (e) => e instanceof RangeError && e.field === 'profile');
  assert.throws(() => step.operationId('python@2.0.0', null, 1), (e) => e instanceof RangeError && e.field === 'profile');
});

// ---- stated scopes and wrapped errors

test('a stated scope is honoured before the response, as JS 2.4.0 does', () => {
  const fatal = new DurableExecutionClientError('rejected', { scope: 'EXECUTION' });
  assert.deepEqual(classifyError(fatal, { profile: 'ts' }), result('EXECUTION', 'stated-execution'));
  const transient = new DurableExecutionClientError('later');
  assert.deepEqual(classifyError(transient), result('INVOCATION', 'stated-invocation'));
  // Structural, like the SDK: a copy of the class from another bundle counts; a bad scope does not.
  const copy = Object.assign(new Error('x'), { isDurableExecutionClientError: true, scope: 'EXECUTION', $metadata: { httpStatusCode: 503 } });
  assert.equal(classifyError(copy).rule, 'stated-execution');
  const malformed = Object.assign(new Error('x'), { isDurableExecutionClientError: true, scope: 'FOREVER', $metadata: { httpStatusCode: 503 } });
  assert.equal(classifyError(malformed).rule, 'server-error');
  // ts@2.4.0's state fetch acts on a stated EXECUTION only.
  assert.equal(classifyError(transient, { api: 'get-state', profile: 'ts' }).rule, 'state-fetch-unclassified');
  assert.equal(classifyError(fatal, { api: 'get-state', profile: 'ts' }).rule, 'stated-execution');
  assert.equal(classifyApiError({ status: 400, code: 'X', statedScope: 'INVOCATION' }).rule, 'stated-invocation');
});

test('causes are followed where the profile reads them, boundedly', () => {
  const kms = new KMSAccessDeniedException({ message: 'denied', $metadata: { httpStatusCode: 502 } });
  const wrapper = new Error('checkpoint failed', { cause: kms });
  assert.deepEqual(classifyError(wrapper), result('EXECUTION', 'kms-customer-error'));
  assert.equal(classifyError(wrapper, { profile: 'ts' }).rule, 'no-http-response');
  assert.equal(classifyError(wrapper, { profile: 'python@3.0.0' }).rule, 'no-http-response');
  assert.equal(classifyError(new Error('outer', { cause: wrapper })).rule, 'kms-customer-error');
  const stated = new Error('outer', { cause: new DurableExecutionClientError('x', { scope: 'EXECUTION' }) });
  assert.equal(classifyError(stated).rule, 'stated-execution');
  assert.equal(classifyError(stated, { profile: 'ts' }).rule, 'no-http-response');
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  a.cause = b;
  assert.equal(classifyError(a).rule, 'no-http-response');
  let deep = kms;
  for (let i = 0; i < 40; i++) deep = new Error(`level ${i}`, { cause: deep });
  assert.equal(classifyError(deep).rule, 'no-http-response'); // past the 32-link bound
  const hostile = new Error('proxy', { cause: new Proxy({}, { get() { throw new Error('no reading me'); } }) });
  assert.equal(classifyError(hostile).rule, 'no-http-response');
});

test('a programming error is a TypeError, never a failure to retry', () => {
  const notAClient = new TypeError('client.send is not a function');
  assert.throws(() => classifyError(notAClient), (e) => e instanceof TypeError && e.field === 'err' && e.cause === notAClient);
  assert.throws(() => classifyError(new Error('checkpoint failed', { cause: new ReferenceError('client is not defined') })), TypeError);
  // fetch's network failure is a TypeError whose cause is the system error: still a failed call.
  const fetchFailed = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
  assert.deepEqual(classifyError(fetchFailed), result('INVOCATION', 'no-http-response'));
});
