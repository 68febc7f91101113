// step.begin / step.complete / the JSON passthroughs / operationId: one component call each, the
// answer in JS shapes, and every bad input rejected as a typed error naming the field.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DurableCoreError, retry } from '../src/index.js';
import { step } from '../src/step-index.js';
import { _test } from '../src/component.js';
import { moduleOf } from './fixtures/wasm-modules.mjs';

const NOW = 1_700_000_000_000;
const call = (extra = {}) => ({ id: 'op-1', name: 'charge', profile: 'ts', ...extra });
const at = { nowMs: NOW, random: 0.5 };
const parse = (updates) => updates.map((u) => JSON.parse(u));

class Declined extends Error {
  constructor(message) {
    super(message);
    this.name = 'Declined';
  }
}

test('first run: execute attempt 1 with START, not awaited for at-least-once', () => {
  const plan = step.begin(call(), null, at);
  assert.deepEqual(plan.action, { kind: 'execute', attempt: 1, sendStart: true, awaitStart: false });
  assert.deepEqual(plan.updates, ['{"Type":"STEP","Action":"START","Id":"op-1","SubType":"Step","Name":"charge"}']);
  const once = step.begin(call({ semantics: 'AT_MOST_ONCE_PER_RETRY' }), undefined, at);
  assert.deepEqual(once.action, { kind: 'execute', attempt: 1, sendStart: true, awaitStart: true });
});

test('updates are written byte for byte per profile', () => {
  const python = step.begin(call({ profile: 'python', parentId: 'p' }), null, at);
  assert.deepEqual(python.updates, ['{"Id":"op-1","Type":"STEP","Action":"START","ParentId":"p","Name":"charge","SubType":"Step"}']);
  const ts = step.complete(call({ parentId: 'p' }), 1, { success: { payload: '"é"' } }, at);
  assert.deepEqual(ts.updates, ['{"Type":"STEP","Action":"SUCCEED","Id":"op-1","ParentId":"p","SubType":"Step","Payload":"\\"é\\"","Name":"charge"}']);
  const py = step.complete(call({ profile: 'python' }), 1, { success: { payload: '"é"' } }, at);
  assert.equal(JSON.parse(py.updates[0]).Payload, '"é"');
  assert.match(py.updates[0], /\\u00e9/); // Python's json.dumps escapes non-ASCII
});

test('replay: SUCCEEDED returns the payload, FAILED raises, PENDING suspends, READY runs the next attempt', () => {
  const op = (Status, StepDetails) => ({ Id: 'op-1', Type: 'STEP', SubType: 'Step', Name: 'charge', Status, StepDetails, StartTimestamp: new Date(NOW) });
  assert.deepEqual(step.begin(call(), op('SUCCEEDED', { Attempt: 1, Result: '42' }), at), { updates: [], action: { kind: 'return', payload: '42' } });
  assert.deepEqual(step.begin(call(), op('SUCCEEDED', { Attempt: 1 }), at).action, { kind: 'return', payload: undefined });
  const error = { ErrorType: 'InvokeError', ErrorMessage: 'boom' };
  assert.deepEqual(step.begin(call(), op('FAILED', { Attempt: 1, Error: error }), at).action, { kind: 'raise', errorClass: 'InvokeError', error });
  // an AWS SDK v3 Date is read as epoch ms
  const pending = op('PENDING', { Attempt: 1, NextAttemptTimestamp: new Date(NOW + 5000) });
  assert.deepEqual(step.begin(call(), pending, at).action, { kind: 'suspend', untilMs: NOW + 5000 });
  assert.deepEqual(step.begin(call(), op('PENDING', { Attempt: 1, NextAttemptTimestamp: NOW - 1 }), at).action, { kind: 'suspend', untilMs: NOW });
  const ready = step.begin(call(), op('READY', { Attempt: 2 }), at);
  assert.deepEqual(ready.action, { kind: 'execute', attempt: 3, sendStart: true, awaitStart: false });
  const started = step.begin(call(), op('STARTED', { Attempt: 0 }), at);
  assert.deepEqual(started, { updates: [], action: { kind: 'execute', attempt: 1, sendStart: false, awaitStart: false } });
});

test('an interrupted at-most-once step is retried or failed without running', () => {
  const started = { Type: 'STEP', SubType: 'Step', Name: 'charge', Status: 'STARTED' };
  const retried = step.begin(call({ semantics: 'AT_MOST_ONCE_PER_RETRY' }), started, { ...at, retry: { config: { initial_delay_seconds: 7, jitter: 'NONE' } } });
  assert.deepEqual(retried.action, { kind: 'suspend', untilMs: NOW + 7000 });
  const [update] = parse(retried.updates);
  assert.equal(update.Action, 'RETRY');
  assert.equal(update.Error.ErrorType, 'StepInterruptedError');
  const failed = step.begin(call({ semantics: 'AT_MOST_ONCE_PER_RETRY' }), started, { ...at, retry: { preset: { name: 'no-retry' } } });
  assert.equal(failed.action.kind, 'raise');
  assert.equal(parse(failed.updates)[0].Action, 'FAIL');
});

test('every profile checks replay determinism; python also compares the ParentId', () => {
  const op = { Type: 'STEP', SubType: 'Step', Name: 'refund', Status: 'SUCCEEDED' };
  assert.deepEqual(step.begin(call(), op, at).action, { kind: 'non-deterministic', field: 'Name', expected: 'charge', actual: 'refund' });
  assert.equal(step.begin(call({ profile: 'python' }), op, at).action.kind, 'non-deterministic');
  const moved = { ...op, Name: 'charge', ParentId: 'elsewhere' };
  assert.equal(step.begin(call(), moved, at).action.kind, 'return');
  assert.deepEqual(step.begin(call({ profile: 'python' }), moved, at).action,
    { kind: 'non-deterministic', field: 'ParentId', expected: undefined, actual: 'elsewhere' });
  const unnamed = step.begin(call({ name: undefined }), op, at).action;
  assert.deepEqual(unnamed, { kind: 'non-deterministic', field: 'Name', expected: undefined, actual: 'refund' });
});

test('complete: success, retry with the strategy, fail when exhausted, propagate an unrecoverable error', () => {
  assert.deepEqual(step.complete(call(), 1, { success: {} }, at), {
    updates: ['{"Type":"STEP","Action":"SUCCEED","Id":"op-1","SubType":"Step","Name":"charge"}'],
    action: { kind: 'return', payload: undefined },
  });
  const oneSecond = { ...at, retry: { config: { max_attempts: 2, initial_delay_seconds: 1, jitter: 'NONE' } } };
  const first = step.complete(call(), 1, new Declined('card declined'), oneSecond);
  assert.deepEqual(first.action, { kind: 'suspend', untilMs: NOW + 1000 });
  assert.deepEqual(parse(first.updates), [
    {
      Type: 'STEP',
      Action: 'RETRY',
      Id: 'op-1',
      SubType: 'Step',
      Error: { ErrorMessage: 'card declined', ErrorType: 'Declined' },
      Name: 'charge',
      StepOptions: { NextAttemptDelaySeconds: 1 },
    },
  ]);
  const last = step.complete(call(), 2, new Declined('card declined'), oneSecond);
  assert.deepEqual(last.action, { kind: 'raise', errorClass: 'StepError', error: { ErrorType: 'Declined', ErrorMessage: 'card declined' } });
  assert.equal(parse(last.updates)[0].Action, 'FAIL');
  const fatal = Object.assign(new Error('fatal'), { isUnrecoverable: true });
  assert.deepEqual(step.complete(call(), 1, fatal, at), { updates: [], action: { kind: 'propagate' } });
  const big = step.complete(call(), 1, { success: { payload: 'x'.repeat(262_145) } }, at);
  assert.deepEqual(big.updates, []);
  assert.equal(big.action.kind, 'fail-execution');
  assert.equal(big.action.rule, 'step-payload-too-large');
  assert.equal(big.action.category, 'EXECUTION');
  assert.match(big.action.error.ErrorMessage, /262144/);
});

test('thrown values are described as the JS SDK records them', () => {
  assert.deepEqual(step.describeError(new Declined('no')), { errorType: 'Declined', errorTypes: ['Declined', 'Error'], message: 'no', unrecoverable: false });
  class Plain extends TypeError {}
  assert.deepEqual(step.describeError(new Plain('p')).errorTypes, ['Plain', 'TypeError', 'Error']);
  assert.equal(step.describeError(new Plain('p')).errorType, 'TypeError'); // error.name, as the SDK records it
  // a non-Error: no type; the core records "Unknown error"
  const noRetry = { ...at, retry: { preset: { name: 'no-retry' } } };
  for (const thrown of ['text', 42, null, undefined]) {
    const plan = step.complete(call(), 1, { thrown }, noRetry);
    assert.deepEqual(parse(plan.updates)[0].Error, { ErrorMessage: 'Unknown error' }, String(thrown));
  }
  // an error-like object keeps its name and message
  const like = step.complete(call(), 1, { name: 'Custom', message: 'like' }, noRetry);
  assert.deepEqual(parse(like.updates)[0].Error, { ErrorMessage: 'like', ErrorType: 'Custom' });
  // the SDK's DurableOperationError serializes itself (type, message, data)
  class DurableOperationError extends Error {
    toErrorObject() {
      return { ErrorType: 'StepError', ErrorMessage: this.message, ErrorData: '{"k":1}', StackTrace: undefined };
    }
  }
  class StepError extends DurableOperationError {}
  const nested = step.complete(call(), 1, new StepError('inner failed'), noRetry);
  assert.deepEqual(parse(nested.updates)[0].Error, { ErrorData: '{"k":1}', ErrorMessage: 'inner failed', ErrorType: 'StepError' });
  // an explicit failure record
  const explicit = step.complete(call(), 1, { failure: { errorType: 'X', errorTypes: ['X', 'Error'], message: 'm', data: 'd' } }, noRetry);
  assert.deepEqual(parse(explicit.updates)[0].Error, { ErrorData: 'd', ErrorMessage: 'm', ErrorType: 'X' });
});

test('error-type filters see the class chain', () => {
  class Transient extends Error {}
  const options = { ...at, retry: { config: { retryable_error_types: ['Transient'], jitter: 'NONE' } } };
  assert.equal(step.complete(call(), 1, new Transient('t'), options).action.kind, 'suspend');
  assert.equal(step.complete(call(), 1, new Error('e'), options).action.kind, 'raise');
});

test('a retry Strategy from retry.createStrategy decides', () => {
  const strategy = retry.createStrategy(retry.exponential({ maxAttempts: 3, initialDelay: 4, jitter: 'NONE', retryableErrors: [/declined/] }), { profile: 'ts' });
  const retried = step.complete(call(), 1, new Declined('card declined'), { ...at, strategy });
  assert.deepEqual(retried.action, { kind: 'suspend', untilMs: NOW + 4000 });
  assert.equal(step.complete(call(), 1, new Error('other'), { ...at, strategy }).action.kind, 'raise');
  assert.equal(step.complete(call(), 3, new Declined('declined'), { ...at, strategy }).action.kind, 'raise');
  const none = retry.createStrategy(retry.preset('noRetry'), { profile: 'ts' });
  assert.equal(step.complete(call(), 1, new Declined('declined'), { ...at, strategy: none }).action.kind, 'raise');
  assert.throws(() => step.complete(call(), 1, new Error(), { ...at, strategy: { decide() {} } }), { name: 'TypeError', field: 'strategy' });
  assert.throws(() => step.complete(call(), 1, new Error(), { ...at, strategy, retry: { preset: { name: 'default' } } }), { name: 'RangeError', field: 'retry' });
});

test('the JSON passthroughs speak the core contract, text verbatim', () => {
  const request = { profile: 'ts', id: 'op-1', now_ms: NOW, random: 0, operation: null };
  const answer = step.beginJson(request);
  assert.deepEqual(answer.action, { kind: 'execute', attempt: 1, send_start: true, await_start: false });
  assert.deepEqual(step.beginJson(JSON.stringify(request)), answer);
  const done = step.completeJson({ ...request, attempt: 1, outcome: { success: { payload: '1' } } });
  assert.deepEqual(done.action, { kind: 'return', payload: '1' });
  assert.throws(() => step.beginJson('{"id":'), { name: 'RangeError', field: 'request', kind: 'malformed' });
  assert.throws(() => step.beginJson({ now_ms: NOW }), { name: 'TypeError', field: 'id', kind: 'missing' });
  assert.throws(() => step.beginJson(42), { name: 'TypeError', field: 'request' });
  assert.throws(() => step.completeJson({ ...request, attempt: 0, outcome: { success: {} } }), { name: 'RangeError', field: 'attempt', kind: 'out-of-range' });
});

test('operation ids: both schemes', () => {
  assert.deepEqual(step.operationId('ts', null, 1), { stepId: '1', id: 'c4ca4238a0b92382' });
  assert.deepEqual(step.operationId('ts', '1', 2), { stepId: '1-2', id: '98c6f2c2287f4c73' });
  assert.deepEqual(step.operationId('unified', undefined, 2), { stepId: '2', id: 'c81e728d9d4c2f63' });
  const root = step.operationId('python', null, 1);
  assert.equal(root.id, '1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97');
  assert.equal(step.operationId('python', root.stepId, 1).id, '974bfc6321e227b0ff101342eaf19b336f002dc6cc99c18f0941a7755cc20fc4');
  assert.throws(() => step.operationId('ts', null, 0), { name: 'RangeError', field: 'counter', kind: 'out-of-range' });
  assert.throws(() => step.operationId('ts', '', 1), { name: 'RangeError', field: 'parent' });
  assert.throws(() => step.operationId('ts', null, 1.5), { name: 'RangeError', field: 'counter' });
  assert.throws(() => step.operationId('ts', null, 2 ** 32), { name: 'RangeError', field: 'counter' });
  assert.throws(() => step.operationId('ts', null, '1'), { name: 'TypeError', field: 'counter' });
  assert.throws(() => step.operationId('ts', 7, 1), { name: 'TypeError', field: 'parent' });
  assert.throws(() => step.operationId('java', null, 1), { name: 'RangeError', field: 'profile' });
});

test('bad inputs are typed errors naming the field, the JS name and the core name', () => {
  const cases = [
    [() => step.begin(null, null), TypeError, 'call'],
    [() => step.begin({ name: 'x' }, null), TypeError, 'call.id'],
    [() => step.begin(call({ parentId: 5 }), null), TypeError, 'call.parentId'],
    [() => step.begin(call({ name: 5 }), null), TypeError, 'call.name'],
    [() => step.begin(call({ semantics: 'ONCE' }), null), RangeError, 'call.semantics'],
    [() => step.begin(call({ profile: 'java' }), null), RangeError, 'call.profile'],
    [() => step.begin(call(), null, { nowMs: '1' }), TypeError, 'nowMs'],
    [() => step.begin(call(), null, { nowMs: NaN }), RangeError, 'nowMs'],
    [() => step.begin(call(), null, { random: 1 }), RangeError, 'random'],
    [() => step.begin(call(), null, { random: Infinity }), RangeError, 'random'],
    [() => step.begin(call(), null, null), TypeError, 'options'],
    [() => step.begin(call(), [], at), TypeError, 'operation'],
    [() => step.begin(call(), { Status: 'DONE' }, at), RangeError, 'operation.Status'],
    [() => step.begin(call(), { Type: 'STEP' }, at), TypeError, 'operation.Status'],
    [() => step.begin(call(), { Status: 'READY', StepDetails: { Attempt: -1 } }, at), RangeError, 'operation.StepDetails.Attempt'],
    [() => step.begin(call(), null, { ...at, retry: { config: { max_attempts: 0 } } }), RangeError, 'maxAttempts'],
    [() => step.complete(call(), '1', { success: {} }, at), TypeError, 'attempt'],
    [() => step.complete(call(), 0, { success: {} }, at), RangeError, 'attempt'],
    [() => step.complete(call(), 1, { success: { payload: 1 } }, at), TypeError, 'outcome.success.payload'],
    [() => step.complete(call(), 1, { sucess: {} }, at), TypeError, 'outcome'],
    [() => step.complete(call(), 1, 'boom', at), TypeError, 'outcome'],
    [() => step.complete(call(), 1, { failure: { message: 1 } }, at), TypeError, 'outcome.failure.message'],
    [() => step.complete(call(), 1, { failure: { errorTypes: 'X' } }, at), TypeError, 'outcome.failure.errorTypes'],
    [() => step.complete(call(), 1, { failure: { unrecoverable: 1 } }, at), TypeError, 'outcome.failure.unrecoverable'],
  ];
  for (const [run, ErrorClass, field] of cases) {
    assert.throws(run, (error) => {
      assert.ok(error instanceof ErrorClass, `${field}: ${error}`);
      assert.equal(error.field, field, error.message);
      assert.ok(error.message.startsWith(`${field}:`), error.message);
      return true;
    });
  }
  // the core's own name stays available, and is in the message when it differs
  try {
    step.begin(call(), null, { nowMs: -1 });
    assert.fail('accepted a negative time');
  } catch (error) {
    assert.equal(error.name, 'RangeError');
    assert.equal(error.field, 'nowMs');
    assert.equal(error.coreField, 'now-ms');
    assert.equal(error.kind, 'out-of-range');
    assert.match(error.message, /durable-core field now-ms/);
  }
});

test('a trap is a DurableCoreError and the next call gets a fresh instance', () => {
  // Every function of this stand-in core traps; it has what the loader looks up.
  _test.useCoreModule(
    moduleOf([
      ['cabi_realloc', 4],
      ['durable:core/classify@0.2.0#classify-packed', 6],
      ['durable:core/retry@0.2.0#decide-packed', 7],
      ['durable:core/step@0.2.0#begin', 2],
      ['durable:core/step@0.2.0#complete', 2],
      ['durable:core/step@0.2.0#operation-id', 5],
    ]),
  );
  try {
    const trap = (fn) => (error) => error instanceof DurableCoreError && error.kind === 'trap' && error.message.includes(`trapped in ${fn}`);
    assert.throws(() => step.begin(call(), null, at), trap('step#begin'));
    assert.throws(() => step.complete(call(), 1, { success: {} }, at), trap('step#complete'));
    assert.throws(() => step.operationId('ts', null, 1), trap('step#operation-id'));
    // validation comes first: bad input is still a TypeError
    assert.throws(() => step.begin(call({ id: 1 }), null, at), TypeError);
  } finally {
    _test.useCoreModule(undefined);
  }
  assert.equal(step.begin(call(), null, at).action.kind, 'execute');
});

test('a Strategy goes as its handle, registered again in a new instance after a trap', () => {
  const strategy = retry.createStrategy(retry.exponential({ initialDelay: 6, jitter: 'NONE' }), { profile: 'ts' });
  assert.deepEqual(step.complete(call(), 1, new Declined('x'), { ...at, strategy }).action, { kind: 'suspend', untilMs: NOW + 6000 });
  const before = _test.coreExports();
  _test.useCoreModule(undefined); // drops the instance, as a trap does
  assert.deepEqual(step.complete(call(), 1, new Declined('x'), { ...at, strategy }).action, { kind: 'suspend', untilMs: NOW + 6000 });
  assert.notEqual(_test.coreExports(), before, 'a new instance');
  // the strategy's own profile decides: python rounds the jittered delay up, ts half up
  const python = retry.createStrategy(retry.exponential({ initialDelay: 1.2, jitter: 'NONE' }), { profile: 'python' });
  const tsToo = retry.createStrategy(retry.exponential({ initialDelay: 1.2, jitter: 'NONE' }), { profile: 'ts' });
  assert.equal(step.complete(call(), 1, new Declined('x'), { ...at, strategy: python }).action.untilMs, NOW + 2000);
  assert.equal(step.complete(call(), 1, new Declined('x'), { ...at, strategy: tsToo }).action.untilMs, NOW + 1000);
  assert.throws(() => step.beginJson('{"id":"op","now_ms":1}', { strategy }), { name: 'RangeError', field: 'strategy' });
});
