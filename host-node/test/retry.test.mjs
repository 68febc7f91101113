// The retry API: configs, validation (every bad field named as the caller wrote it), presets
// per profile, error filters, decisions, random draws and large delays.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import vm from 'node:vm';
import { retry } from '../src/index.js';

const { exponential, linear, preset, createStrategy, fromCoreConfig, decideRaw } = retry;

class TimeoutError extends Error {}
class ReadTimeoutError extends TimeoutError {}

/** Decide with a fixed draw, returning [outcome, delaySeconds]. */
function decide(strategy, error, attemptsMade, random = 0.5) {
  const d = strategy.decide(error, attemptsMade, { random });
  assert.equal(d.shouldRetry, d.outcome === 'retry');
  return [d.outcome, d.delaySeconds];
}

/** Calls `body` with Math.random counting its calls (returning `value`); returns the count. */
function countingDraws(body, value = 0.5) {
  const real = Math.random;
  let draws = 0;
  Math.random = () => {
    draws++;
    return value;
  };
  try {
    body();
  } finally {
    Math.random = real;
  }
  return draws;
}

// ---- configurations

test('exponential() and linear() return frozen WIT configs with unset fields absent', () => {
  const config = exponential({ maxAttempts: 5, initialDelay: { seconds: 2 }, maxDelay: { minutes: 1 }, jitter: 'HALF', retryableErrors: ['timeout', /^conn/i] });
  assert.deepEqual(config, {
    backoff: 'exponential',
    maxAttempts: 5,
    initialDelaySeconds: 2,
    maxDelaySeconds: 60,
    jitter: 'HALF',
    retryableErrors: [
      { syntax: 'substring', source: 'timeout', flags: '' },
      { syntax: 'js-regex', source: '^conn', flags: 'i' },
    ],
  });
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.retryableErrors) && Object.isFrozen(config.retryableErrors[1]));
  assert.deepEqual(exponential(), { backoff: 'exponential' });
  assert.deepEqual(exponential({ maxAttempts: undefined, jitter: null, retryableErrors: undefined }), { backoff: 'exponential' }, 'undefined and null are unset');
  assert.deepEqual(linear({ increment: 3 }), { backoff: 'linear', incrementSeconds: 3 });
  assert.deepEqual(exponential({ retryableErrorTypes: [TimeoutError, 'StepInterruptedError'] }).retryableErrorTypes, ['TimeoutError', 'StepInterruptedError']);
});

test('durations: JS SDK Durations summed as its durationToSeconds does, or plain seconds', () => {
  const seconds = (initialDelay) => exponential({ initialDelay }).initialDelaySeconds;
  assert.equal(seconds(7), 7);
  assert.equal(seconds({ seconds: 1.7 }), 1.7);
  assert.equal(seconds({ minutes: 0.5 }), 30);
  assert.equal(seconds({ hours: 1, minutes: 1, seconds: 1 }), 3661);
  assert.equal(seconds({ days: 1, seconds: -86399 }), 1);
  assert.equal(seconds({}), 0);
  assert.equal(seconds({ seconds: undefined, minutes: null, hours: 2 }), 7200);
  // The SDK multiplies left to right (days * 24 * 60 * 60), which differs from days * 86400 in the last bit here.
  assert.equal(seconds({ days: 0.1 }), 0.1 * 24 * 60 * 60);
  assert.notEqual(0.1 * 24 * 60 * 60, 0.1 * 86400);
});

// [what, thunk, ErrorClass, field, coreField, kind]
const strategy = () => createStrategy(exponential({ maxAttempts: 3 }));
const BAD = [
  ['maxAttempts string', () => exponential({ maxAttempts: '3' }), TypeError, 'maxAttempts', 'max-attempts', 'wrong-type'],
  ['maxAttempts bigint', () => exponential({ maxAttempts: 3n }), TypeError, 'maxAttempts', 'max-attempts', 'wrong-type'],
  ['maxAttempts 0', () => exponential({ maxAttempts: 0 }), RangeError, 'maxAttempts', 'max-attempts', 'out-of-range'],
  ['maxAttempts 2.5', () => exponential({ maxAttempts: 2.5 }), RangeError, 'maxAttempts', 'max-attempts', 'out-of-range'],
  ['maxAttempts NaN', () => linear({ maxAttempts: NaN }), RangeError, 'maxAttempts', 'max-attempts', 'out-of-range'],
  ['maxAttempts Infinity', () => exponential({ maxAttempts: Infinity }), RangeError, 'maxAttempts', 'max-attempts', 'out-of-range'],
  ['initialDelay negative', () => exponential({ initialDelay: -1 }), RangeError, 'initialDelay', 'initial-delay-seconds', 'out-of-range'],
  ['initialDelay NaN unit', () => exponential({ initialDelay: { seconds: NaN } }), RangeError, 'initialDelay', 'initial-delay-seconds', 'out-of-range'],
  ['initialDelay string unit', () => exponential({ initialDelay: { seconds: '5' } }), TypeError, 'initialDelay', 'initial-delay-seconds', 'wrong-type'],
  ['initialDelay string', () => exponential({ initialDelay: 'PT5S' }), TypeError, 'initialDelay', 'initial-delay-seconds', 'wrong-type'],
  ['initialDelay unknown unit', () => exponential({ initialDelay: { milliseconds: 500 } }), TypeError, 'initialDelay', 'initial-delay-seconds', 'wrong-type'],
  ['maxDelay Infinity', () => exponential({ maxDelay: { seconds: Infinity } }), RangeError, 'maxDelay', 'max-delay-seconds', 'out-of-range'],
  ['maxDelay above 2^53-1', () => linear({ maxDelay: 2 ** 53 }), RangeError, 'maxDelay', 'max-delay-seconds', 'out-of-range'],
  ['backoffRate negative', () => exponential({ backoffRate: -1 }), RangeError, 'backoffRate', 'backoff-rate', 'out-of-range'],
  ['backoffRate string', () => exponential({ backoffRate: '2' }), TypeError, 'backoffRate', 'backoff-rate', 'wrong-type'],
  ['backoffRate on linear', () => linear({ backoffRate: 2 }), RangeError, 'backoffRate', 'backoff-rate', 'invalid-value'],
  ['increment on exponential', () => exponential({ increment: { seconds: 1 } }), RangeError, 'increment', 'increment-seconds', 'invalid-value'],
  ['increment negative', () => linear({ increment: -1 }), RangeError, 'increment', 'increment-seconds', 'out-of-range'],
  ['jitter lower case', () => exponential({ jitter: 'half' }), RangeError, 'jitter', 'jitter', 'invalid-value'],
  ['jitter number', () => exponential({ jitter: 1 }), TypeError, 'jitter', 'jitter', 'wrong-type'],
  ['retryableErrors not a list', () => exponential({ retryableErrors: 'timeout' }), TypeError, 'retryableErrors', 'retryable-errors', 'wrong-type'],
  ['retryableErrors number item', () => exponential({ retryableErrors: [5] }), TypeError, 'retryableErrors', 'retryable-errors', 'wrong-type'],
  ['retryableErrors sparse', () => exponential({ retryableErrors: [, 'x'] }), TypeError, 'retryableErrors', 'retryable-errors', 'wrong-type'], // eslint-disable-line no-sparse-arrays
  ['retryableErrors g flag', () => exponential({ retryableErrors: [/timeout/g] }), RangeError, 'retryableErrors', 'retryable-errors', 'invalid-value'],
  ['retryableErrors y flag', () => linear({ retryableErrors: [/timeout/y] }), RangeError, 'retryableErrors', 'retryable-errors', 'invalid-value'],
  ['retryableErrors lookbehind', () => exponential({ retryableErrors: [/(?<=a)b/] }), RangeError, 'retryableErrors', 'retryable-errors', 'invalid-value'],
  ['retryableErrors backreference', () => exponential({ retryableErrors: [/(a)\1/] }), RangeError, 'retryableErrors', 'retryable-errors', 'invalid-value'],
  ['retryableErrorTypes object', () => exponential({ retryableErrorTypes: [{}] }), TypeError, 'retryableErrorTypes', 'retryable-error-types', 'wrong-type'],
  ['retryableErrorTypes not a list', () => exponential({ retryableErrorTypes: TimeoutError }), TypeError, 'retryableErrorTypes', 'retryable-error-types', 'wrong-type'],
  ['retryableErrorTypes empty name', () => exponential({ retryableErrorTypes: [''] }), RangeError, 'retryableErrorTypes', 'retryable-error-types', 'invalid-value'],
  ['an unknown option', () => exponential({ maxAtempts: 3 }), TypeError, 'maxAtempts', undefined, 'wrong-type'],
  ['options not an object', () => exponential(5), TypeError, 'options', undefined, 'wrong-type'],
  ['preset name not a string', () => preset(5), TypeError, 'name', 'preset', 'wrong-type'],
  ['unknown preset', () => preset('aggressive'), RangeError, 'name', 'preset', 'invalid-value'],
  ['interval on default', () => preset('default', { interval: 5 }), RangeError, 'interval', 'interval-seconds', 'invalid-value'],
  ['interval string', () => preset('fixed', { interval: '5' }), TypeError, 'interval', 'interval-seconds', 'wrong-type'],
  ['python preset under ts', () => createStrategy(preset('transient'), { profile: 'ts' }), RangeError, 'name', 'preset', 'invalid-value'],
  ['unknown profile', () => createStrategy(exponential(), { profile: 'java' }), RangeError, 'profile', 'profile', 'invalid-value'],
  ['profile not a string', () => createStrategy(exponential(), { profile: 1 }), TypeError, 'profile', 'profile', 'wrong-type'],
  ['config a number', () => createStrategy(42), TypeError, 'config', undefined, 'wrong-type'],
  ['a plain-object config with a bad option', () => createStrategy({ maxAttempts: -1 }), RangeError, 'maxAttempts', 'max-attempts', 'out-of-range'],
  ['attemptsMade string', () => strategy().decide(new Error('x'), '1'), TypeError, 'attemptsMade', 'attempts-made', 'wrong-type'],
  ['attemptsMade 0', () => strategy().decide(new Error('x'), 0), RangeError, 'attemptsMade', 'attempts-made', 'out-of-range'],
  ['attemptsMade 1.5', () => strategy().decide(new Error('x'), 1.5), RangeError, 'attemptsMade', 'attempts-made', 'out-of-range'],
  ['attemptsMade NaN', () => strategy().decide(new Error('x'), NaN), RangeError, 'attemptsMade', 'attempts-made', 'out-of-range'],
  ['random 1', () => strategy().decide(new Error('x'), 1, { random: 1 }), RangeError, 'random', 'random', 'out-of-range'],
  ['random negative', () => strategy().decide(new Error('x'), 1, { random: -0.1 }), RangeError, 'random', 'random', 'out-of-range'],
  ['random NaN', () => strategy().decide(new Error('x'), 1, { random: NaN }), RangeError, 'random', 'random', 'out-of-range'],
  ['random string', () => strategy().decide(new Error('x'), 1, { random: '0.5' }), TypeError, 'random', 'random', 'wrong-type'],
  ['decide options null', () => strategy().decide(new Error('x'), 1, null), TypeError, 'options', undefined, 'wrong-type'],
];

for (const [what, thunk, ErrorClass, field, coreField, kind] of BAD) {
  test(`rejected: ${what} -> ${ErrorClass.name} naming ${field}`, () => {
    assert.throws(thunk, (error) => {
      assert.equal(error.constructor, ErrorClass, error.stack);
      assert.equal(error.field, field);
      assert.equal(error.coreField, coreField);
      assert.equal(error.kind, kind);
      assert.ok(error.message.startsWith(`${field}`), error.message);
      if (ErrorClass === RangeError) assert.equal(typeof error.value, 'string', "the core's rendering of the value");
      return true;
    });
  });
}

test("a core rejection carries the core's message and value", () => {
  assert.throws(
    () => exponential({ maxAttempts: 0 }),
    (e) => e.message === 'maxAttempts: must be a whole number from 1 to 4294967295 (got 0)' && e.value === '0',
  );
  assert.throws(() => exponential({ retryableErrors: [/a/g] }), (e) => /stateful/.test(e.message));
});

test('a python preset under ts fails when the strategy is created, not when the preset is named', () => {
  const transient = preset('transient');
  assert.doesNotThrow(() => createStrategy(transient, { profile: 'python' }));
  assert.doesNotThrow(() => createStrategy(transient)); // unified
  assert.throws(() => createStrategy(transient, { profile: 'ts' }), /@aws\/durable-execution-sdk-js 2\.4\.0 has only default, no-retry and linear/);
});

// ---- presets

const PRESETS = {
  // [maxAttempts, initial, max, rate, increment, jitter], as the SDKs document them.
  default: ['exponential', 6, 5, 60, 2, undefined, 'FULL'],
  noRetry: ['exponential', 1, 5, 300, 2, undefined, 'FULL'],
  linear: ['linear', 6, 1, 300, undefined, 1, 'NONE'],
  transient: ['exponential', 3, 5, 300, 2, undefined, 'HALF'],
  resourceAvailability: ['exponential', 5, 5, 300, 2, undefined, 'FULL'],
  critical: ['exponential', 10, 1, 60, 1.5, undefined, 'NONE'],
  fixed: ['exponential', 5, 5, 5, 1, undefined, 'NONE'],
};
const TS_PRESETS = ['default', 'noRetry', 'linear'];

for (const profile of ['unified', 'python', 'ts']) {
  test(`presets under ${profile}`, () => {
    for (const [name, [backoff, attempts, initial, max, rate, increment, jitter]] of Object.entries(PRESETS)) {
      if (profile === 'ts' && !TS_PRESETS.includes(name)) {
        assert.throws(() => createStrategy(preset(name), { profile }), (e) => e instanceof RangeError && e.field === 'name' && e.coreField === 'preset', name);
        continue;
      }
      const { effective, config } = createStrategy(preset(name), { profile });
      assert.equal(effective.backoff, backoff, name);
      assert.equal(effective.maxAttempts, attempts, name);
      assert.equal(effective.initialDelaySeconds, initial, name);
      assert.equal(effective.maxDelaySeconds, max, name);
      if (rate !== undefined) assert.equal(effective.backoffRate, rate, name);
      if (increment !== undefined) assert.equal(effective.incrementSeconds, increment, name);
      assert.equal(effective.jitter, jitter, name);
      assert.equal(effective.retriesEveryError, true, name);
      assert.ok(Object.isFrozen(effective) && Object.isFrozen(config));
    }
  });
}

test('preset names: JS camelCase and the core kebab-case, plus Python `none`', () => {
  assert.deepEqual(preset('noRetry'), { preset: 'no-retry' });
  assert.deepEqual(preset('no-retry'), { preset: 'no-retry' });
  assert.deepEqual(preset('resourceAvailability'), { preset: 'resource-availability' });
  assert.equal(createStrategy(preset('none'), { profile: 'python' }).effective.maxAttempts, 1);
  assert.deepEqual(preset('fixed', { interval: { minutes: 1 } }), { preset: 'fixed', intervalSeconds: 60 });
  const fixed = createStrategy(preset('fixed', { interval: 12 }), { profile: 'python' });
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => decide(fixed, new Error('x'), n)), [['retry', 12], ['retry', 12], ['retry', 12], ['retry', 12], ['attempts-exhausted', 0]]);
});

test('default preset decisions at r=0.5 (both SDKs: 3, 5, 10, 20, 30, then no retry)', () => {
  for (const profile of ['ts', 'python', 'unified']) {
    const s = createStrategy(preset('default'), { profile });
    const delays = [1, 2, 3, 4, 5].map((n) => decide(s, new Error('boom'), n)[1]);
    assert.deepEqual(delays, [3, 5, 10, 20, 30], profile);
    assert.deepEqual(decide(s, new Error('boom'), 6), ['attempts-exhausted', 0]);
  }
});

test('critical preset: python ceil 1, 2, 3, 4, 6, 8, 12, 18, 26', () => {
  const s = createStrategy(preset('critical'), { profile: 'python' });
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => decide(s, new Error('x'), n, 0.9)[1]), [1, 2, 3, 4, 6, 8, 12, 18, 26]);
});

test('rounding per profile: 100 * 1.1 is 110 under ts and unified, 111 under python', () => {
  const config = exponential({ initialDelay: 100, backoffRate: 1.1, jitter: 'NONE' });
  assert.equal(decide(createStrategy(config, { profile: 'ts' }), new Error('x'), 2)[1], 110);
  assert.equal(decide(createStrategy(config, { profile: 'unified' }), new Error('x'), 2)[1], 110);
  assert.equal(decide(createStrategy(config, { profile: 'python' }), new Error('x'), 2)[1], 111);
});

// ---- filters

test('unset filters retry every error, and every thrown value', () => {
  const s = createStrategy(exponential({ jitter: 'NONE' }));
  assert.equal(s.effective.retriesEveryError, true);
  for (const thrown of [new Error(''), new TypeError('x'), 'a string', undefined, null, 42, { message: 'x' }]) {
    assert.deepEqual(decide(s, thrown, 1), ['retry', 5]);
  }
});

test('message filters: a string is a substring, a RegExp is run by the core on error.message', () => {
  const s = createStrategy(exponential({ jitter: 'NONE', retryableErrors: ['ECONNRESET', /^timeout/i] }));
  assert.equal(s.effective.retriesEveryError, false);
  assert.equal(decide(s, new Error('socket ECONNRESET'), 1)[0], 'retry');
  assert.equal(decide(s, new Error('Timeout after 3 s'), 1)[0], 'retry');
  assert.equal(decide(s, new Error('a timeout'), 1)[0], 'not-retryable', 'anchored');
  assert.equal(decide(s, new TypeError('bad request'), 1)[0], 'not-retryable');
  // The name is not part of the text matched (JS SDK: error.message).
  const byName = createStrategy(exponential({ retryableErrors: ['TypeError'] }));
  assert.equal(decide(byName, new TypeError('x'), 1)[0], 'not-retryable');
});

test('type filters match the class chain by name, most specific first', () => {
  const s = createStrategy(exponential({ jitter: 'NONE', retryableErrorTypes: [TimeoutError] }));
  assert.equal(decide(s, new TimeoutError('x'), 1)[0], 'retry');
  assert.equal(decide(s, new ReadTimeoutError('x'), 1)[0], 'retry', 'a subclass');
  assert.equal(decide(s, new Error('x'), 1)[0], 'not-retryable', 'a superclass');
  assert.equal(decide(s, new TypeError('timeout'), 1)[0], 'not-retryable', 'types alone: messages are not matched');
  const anyError = createStrategy(exponential({ retryableErrorTypes: [Error] }));
  assert.equal(decide(anyError, new RangeError('x'), 1)[0], 'retry');
  assert.equal(decide(anyError, Object.create(Error.prototype), 1)[0], 'retry', 'no own constructor: the inherited chain');
});

test('the chain passed to the core: constructor names up to Object', () => {
  const seen = (error) => {
    // A type filter per candidate name tells which names reach the core.
    const names = ['ReadTimeoutError', 'TimeoutError', 'Error', 'Object', 'TypeError'];
    return names.filter((name) => decide(createStrategy(exponential({ retryableErrorTypes: [name] })), error, 1)[0] === 'retry');
  };
  assert.deepEqual(seen(new ReadTimeoutError('x')), ['ReadTimeoutError', 'TimeoutError', 'Error']);
  assert.deepEqual(seen(new TypeError('x')), ['Error', 'TypeError']);
  class Renamed extends Error {
    static name = 'Custom';
  }
  assert.equal(decide(createStrategy(exponential({ retryableErrorTypes: [Renamed] })), new Renamed('x'), 1)[0], 'retry');
  // A class name holding the packed form's separator still matches exactly.
  const Odd = { ['Line\nBreak']: class extends Error {} }['Line\nBreak'];
  const odd = createStrategy(exponential({ retryableErrorTypes: [Odd] }));
  assert.equal(decide(odd, new Odd('x'), 1)[0], 'retry');
  assert.equal(decide(createStrategy(exponential({ retryableErrorTypes: ['Line'] })), new Odd('x'), 1)[0], 'not-retryable');
});

test('unset vs empty: [] retries nothing; either filter alone leaves the other empty', () => {
  const outcome = (options, error = new Error('x')) => decide(createStrategy(exponential(options)), error, 1)[0];
  assert.equal(outcome({ retryableErrors: [] }), 'not-retryable');
  assert.equal(outcome({ retryableErrorTypes: [] }), 'not-retryable');
  assert.equal(outcome({ retryableErrors: [], retryableErrorTypes: [] }), 'not-retryable');
  assert.equal(outcome({ retryableErrors: [''] }), 'retry', 'the empty substring matches');
  assert.equal(outcome({ retryableErrors: ['nope'], retryableErrorTypes: [Error] }), 'retry', 'either filter (OR)');
  assert.equal(outcome({ retryableErrors: ['x'], retryableErrorTypes: [TimeoutError] }), 'retry');
  assert.equal(createStrategy(exponential({ retryableErrors: [] })).effective.retriesEveryError, false);
});

test('a value that is not an Error is seen as new Error("Unknown Error"), as the JS SDK step handler passes it', () => {
  const strings = createStrategy(exponential({ retryableErrors: ['timeout'] }));
  assert.equal(decide(strings, 'timeout', 1)[0], 'not-retryable');
  assert.equal(decide(strings, { name: 'TimeoutError', message: 'timeout' }, 1)[0], 'not-retryable');
  const unknown = createStrategy(exponential({ retryableErrors: ['Unknown Error'] }));
  assert.equal(decide(unknown, 'timeout', 1)[0], 'retry');
  assert.equal(decide(unknown, undefined, 1)[0], 'retry');
  const errorType = createStrategy(exponential({ retryableErrorTypes: [Error] }));
  assert.equal(decide(errorType, 42, 1)[0], 'retry', 'its class is Error');
  // An Error from another realm is not `instanceof Error` either (the SDK's test).
  const foreign = vm.runInNewContext('new Error("timeout")');
  assert.equal(decide(strings, foreign, 1)[0], 'not-retryable');
  assert.equal(decide(unknown, foreign, 1)[0], 'retry');
});

test('a non-string error.message is matched as its string', () => {
  const s = createStrategy(exponential({ retryableErrors: ['42'] }));
  assert.equal(decide(s, Object.assign(new Error('x'), { message: 42 }), 1)[0], 'retry');
  assert.equal(decide(s, Object.assign(new Error('x'), { message: Object.create(null) }), 1)[0], 'not-retryable', 'no string: empty text');
});

test('messages: unicode, lone surrogates and 1 MB texts', () => {
  const s = createStrategy(exponential({ retryableErrors: ['é😀', /x{3}$/] }));
  assert.equal(decide(s, new Error('café😀'), 1)[0], 'retry');
  assert.equal(decide(s, new Error('cafe'), 1)[0], 'not-retryable');
  assert.equal(decide(s, new Error('\ud800 lone'), 1)[0], 'not-retryable');
  assert.equal(decide(s, new Error(`${'ü'.repeat(400_000)}xxx`), 1)[0], 'retry');
});

// ---- decisions

test('a decision: outcome, delaySeconds (a number), shouldRetry; attempts checked before the filter', () => {
  const s = createStrategy(exponential({ maxAttempts: 2, jitter: 'NONE', retryableErrors: ['x'] }), { profile: 'ts' });
  assert.deepEqual(s.decide(new Error('x'), 1), { outcome: 'retry', delaySeconds: 5, shouldRetry: true });
  assert.deepEqual(s.decide(new Error('y'), 1), { outcome: 'not-retryable', delaySeconds: 0, shouldRetry: false });
  assert.deepEqual(s.decide(new Error('y'), 2), { outcome: 'attempts-exhausted', delaySeconds: 0, shouldRetry: false });
  assert.deepEqual(s.decide(new Error('x'), 99), { outcome: 'attempts-exhausted', delaySeconds: 0, shouldRetry: false });
});

test('linear: initial + increment * (n - 1), capped', () => {
  const s = createStrategy(linear({ initialDelay: 2, increment: { seconds: 3 }, maxDelay: 10, jitter: 'NONE', maxAttempts: 10 }));
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => decide(s, new Error('x'), n)[1]), [2, 5, 8, 10, 10]);
});

test('jitter: FULL r * base, HALF base/2 + r * base/2, rounded per profile', () => {
  const full = createStrategy(exponential({ initialDelay: 10, jitter: 'FULL' }), { profile: 'ts' });
  assert.deepEqual([0, 0.149, 0.15, 0.5, 0.999].map((r) => decide(full, new Error('x'), 1, r)[1]), [1, 1, 2, 5, 10]);
  const half = createStrategy(exponential({ initialDelay: 10, jitter: 'HALF' }), { profile: 'python' });
  assert.deepEqual([0, 0.01, 0.5, 0.999].map((r) => decide(half, new Error('x'), 1, r)[1]), [5, 6, 8, 10]);
});

test('Math.random is drawn only when the decision uses it, once', () => {
  const full = createStrategy(exponential({ maxAttempts: 3, retryableErrors: ['x'] }));
  assert.equal(countingDraws(() => full.decide(new Error('x'), 1)), 1, 'a jittered retry');
  assert.equal(countingDraws(() => full.decide(new Error('y'), 1)), 0, 'not retryable');
  assert.equal(countingDraws(() => full.decide(new Error('x'), 3)), 0, 'exhausted');
  assert.equal(countingDraws(() => full.decide(new Error('x'), 1, { random: 0.3 })), 0, 'given');
  const none = createStrategy(exponential({ jitter: 'NONE' }));
  assert.equal(countingDraws(() => none.decide(new Error('x'), 1)), 0, 'no jitter');
  // The draw is the one used.
  const real = Math.random;
  Math.random = () => 0.999;
  try {
    assert.equal(createStrategy(exponential({ initialDelay: 100 })).decide(new Error('x'), 1).delaySeconds, 100);
  } finally {
    Math.random = real;
  }
});

test('large delays: u64 from the core, exact up to 2^53 - 1 seconds', () => {
  const exact = (initialDelay, profile = 'ts') =>
    createStrategy(exponential({ initialDelay, maxDelay: Number.MAX_SAFE_INTEGER, jitter: 'NONE' }), { profile }).decide(new Error('x'), 1).delaySeconds;
  // Every power of two minus one: the packed word (delay << 2 | outcome) crosses 2^53 from 2^51 on.
  for (let k = 1; k <= 53; k++) {
    const seconds = 2 ** k - 1;
    assert.equal(exact(seconds), seconds, `2^${k} - 1`);
  }
  assert.equal(exact(2 ** 52 + 1), 2 ** 52 + 1);
  assert.equal(exact(Number.MAX_SAFE_INTEGER, 'python'), Number.MAX_SAFE_INTEGER);
  assert.equal(exact(Number.MAX_SAFE_INTEGER, 'unified'), 31_622_400, 'unified stays within the service maximum');
  assert.equal(typeof exact(2 ** 53 - 1), 'number');
  // Growth that overflows the double range caps cleanly at the max delay.
  const huge = createStrategy(exponential({ maxAttempts: 5000, maxDelay: Number.MAX_SAFE_INTEGER, jitter: 'NONE' }), { profile: 'ts' });
  assert.equal(huge.decide(new Error('x'), 4000).delaySeconds, Number.MAX_SAFE_INTEGER);
  const half = createStrategy(exponential({ initialDelay: Number.MAX_SAFE_INTEGER, maxDelay: Number.MAX_SAFE_INTEGER, jitter: 'HALF' }), { profile: 'ts' });
  assert.ok(Number.isSafeInteger(half.decide(new Error('x'), 1, { random: 0.7 }).delaySeconds));
});

// ---- strategies

test('createStrategy: a plain object is exponential options; undefined is every default', () => {
  assert.deepEqual(createStrategy({ maxAttempts: 4, initialDelay: { seconds: 2 } }).config, exponential({ maxAttempts: 4, initialDelay: { seconds: 2 } }));
  assert.deepEqual(createStrategy().effective, createStrategy(exponential()).effective);
  assert.equal(createStrategy().profile, 'unified');
  assert.equal(createStrategy(undefined, { profile: 'python' }).profile, 'python');
});

test('a Strategy is frozen and made only by createStrategy', () => {
  const s = createStrategy(exponential());
  assert.ok(Object.isFrozen(s));
  assert.throws(() => new s.constructor(), TypeError);
  const config = exponential();
  assert.throws(() => {
    config.maxAttempts = 9;
  }, TypeError);
});

test('a config object is snapshotted: later changes to the Duration given do not reach it', () => {
  const delay = { seconds: 2 };
  const config = exponential({ initialDelay: delay, jitter: 'NONE' });
  delay.seconds = 99;
  assert.equal(decide(createStrategy(config), new Error('x'), 1)[1], 2);
});

test('many strategies coexist, each with its own config', () => {
  const strategies = Array.from({ length: 50 }, (_, i) => createStrategy(exponential({ initialDelay: i + 1, jitter: 'NONE' })));
  strategies.forEach((s, i) => assert.equal(decide(s, new Error('x'), 1)[1], i + 1));
});

// ---- the core's terms

test('fromCoreConfig takes the WIT record and equals the JS-built config', () => {
  const wit = fromCoreConfig({
    backoff: 'exponential',
    maxAttempts: 5,
    initialDelaySeconds: 2,
    retryableErrors: [{ syntax: 'js-regex', source: '^timeout', flags: 'i' }, { syntax: 'substring', source: 'x' }],
    retryableErrorTypes: ['TimeoutError'],
  });
  assert.deepEqual(wit, exponential({ maxAttempts: 5, initialDelay: 2, retryableErrors: [/^timeout/i, 'x'], retryableErrorTypes: [TimeoutError] }));
  assert.deepEqual(fromCoreConfig({}), { backoff: 'exponential' });
  const py = createStrategy(fromCoreConfig({ retryableErrors: [{ syntax: 'python-regex', source: '^timeout', flags: 'i' }] }), { profile: 'python' });
  assert.equal(decide(py, new Error('TIMEOUT'), 1)[0], 'retry');
  const bad = [
    [{ backoff: 'geometric' }, RangeError, 'backoff'],
    [{ backoff: 1 }, TypeError, 'backoff'],
    [{ maxAttempts: '3' }, TypeError, 'max-attempts'],
    [{ initialDelaySeconds: -1 }, RangeError, 'initial-delay-seconds'],
    [{ retryableErrors: [{ syntax: 'glob', source: '*' }] }, RangeError, 'retryable-errors'],
    [{ retryableErrors: [{ syntax: 'substring' }] }, TypeError, 'retryable-errors'],
    [{ retryableErrorTypes: [Error] }, TypeError, 'retryable-error-types'],
    [{ max_attempts: 3 }, TypeError, undefined],
  ];
  for (const [record, ErrorClass, coreField] of bad) {
    assert.throws(() => fromCoreConfig(record), (e) => e instanceof ErrorClass && e.coreField === coreField, JSON.stringify(record));
  }
  assert.throws(() => fromCoreConfig({ initialDelaySeconds: -1 }), (e) => e.field === 'initialDelaySeconds', "named in jco's spelling");
});

test('decideRaw: the core inputs as they are', () => {
  const s = createStrategy(exponential({ jitter: 'NONE', retryableErrorTypes: ['TimeoutError'] }), { profile: 'ts' });
  assert.deepEqual(decideRaw(s, { attemptsMade: 1, random: 0, message: 'x', errorTypes: ['TimeoutError', 'Error'] }), { outcome: 'retry', delaySeconds: 5, shouldRetry: true });
  assert.equal(decideRaw(s, { attemptsMade: 1, errorTypes: ['TypeError'] }).outcome, 'not-retryable');
  assert.equal(decideRaw(s, { attemptsMade: 1, errorTypes: ['A\nB', 'TimeoutError'] }).outcome, 'retry', 'a list holding the separator');
  assert.throws(() => decideRaw(s, { attemptsMade: 1, errorTypes: 'TimeoutError' }), (e) => e instanceof TypeError && e.field === 'errorTypes');
  assert.throws(() => decideRaw(s, { attemptsMade: 1, message: 5 }), (e) => e instanceof TypeError && e.field === 'message');
  assert.throws(() => decideRaw(s, {}), (e) => e instanceof TypeError && e.coreField === 'attempts-made');
  assert.throws(() => decideRaw({}, { attemptsMade: 1 }), (e) => e instanceof TypeError && e.field === 'strategy');
});
