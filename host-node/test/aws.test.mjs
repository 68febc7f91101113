// aws.createRetryStrategy: the JS SDK's retryStrategy shape, profile ts by default, and the same
// decisions (and the same Math.random draws) as the SDK's own strategies on a grid of inputs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JitterStrategy, createLinearRetryStrategy, createRetryStrategy, retryPresets } from '@aws/durable-execution-sdk-js';
import { aws, retry } from '../src/index.js';

class TimeoutError extends Error {}
class SocketTimeoutError extends TimeoutError {}

test('the SDK RetryDecision shape: no delay key when not retrying', () => {
  const strategy = aws.createRetryStrategy({ maxAttempts: 2, jitter: JitterStrategy.NONE, initialDelay: { seconds: 4 } });
  assert.equal(typeof strategy, 'function');
  assert.deepEqual(strategy(new Error('x'), 1), { shouldRetry: true, delay: { seconds: 4 } });
  const last = strategy(new Error('x'), 2);
  assert.deepEqual(last, { shouldRetry: false });
  assert.ok(!('delay' in last));
});

test('profile ts by default; another profile on request', () => {
  const cfg = { initialDelay: { seconds: 100 }, backoffRate: 1.1, jitter: JitterStrategy.NONE };
  assert.equal(aws.createRetryStrategy(cfg)(new Error('x'), 2).delay.seconds, 110);
  assert.equal(aws.createRetryStrategy(cfg, { profile: 'python' })(new Error('x'), 2).delay.seconds, 111);
  assert.throws(() => aws.createRetryStrategy(retry.preset('critical')), (e) => e instanceof RangeError && e.field === 'name');
  assert.doesNotThrow(() => aws.createRetryStrategy(retry.preset('critical'), { profile: 'unified' }));
});

test('config forms: none, the SDK config, retry.* configs', () => {
  const draws = (strategy) => withRandom([0.5], () => strategy(new Error('x'), 1));
  assert.deepEqual(draws(aws.createRetryStrategy()).value, draws(createRetryStrategy()).value);
  assert.deepEqual(draws(aws.createRetryStrategy(retry.linear({ jitter: 'NONE' }))).value, { shouldRetry: true, delay: { seconds: 1 } });
  assert.deepEqual(draws(aws.createRetryStrategy(retry.preset('noRetry'))).value, { shouldRetry: false });
});

test('a bad config fails at creation, named', () => {
  assert.throws(() => aws.createRetryStrategy({ maxAttempts: 0 }), (e) => e instanceof RangeError && e.field === 'maxAttempts' && e.coreField === 'max-attempts');
  assert.throws(() => aws.createRetryStrategy({ jitter: 'INVALID' }), (e) => e instanceof RangeError && e.field === 'jitter');
  assert.throws(() => aws.createRetryStrategy({ retryableErrors: [/x/g] }), (e) => e instanceof RangeError && e.field === 'retryableErrors');
  assert.throws(() => aws.createRetryStrategy({ initialDelay: '5s' }), (e) => e instanceof TypeError && e.field === 'initialDelay');
});

/** Runs `body` with Math.random cycling through `draws`; returns its value and the draws made. */
function withRandom(draws, body) {
  const real = Math.random;
  let next = 0;
  const made = [];
  Math.random = () => {
    const value = draws[next++ % draws.length];
    made.push(value);
    return value;
  };
  try {
    return { value: body(), made };
  } finally {
    Math.random = real;
  }
}

const ERRORS = [
  new Error('boom'),
  new TypeError('fetch failed: ECONNRESET'),
  new TimeoutError('Read timeout'),
  new SocketTimeoutError('socket'),
  new Error('Rate exceeded'),
  new Error(''),
];
const CONFIGS = [
  {},
  { maxAttempts: 6, initialDelay: { seconds: 5 }, maxDelay: { seconds: 60 }, backoffRate: 2, jitter: JitterStrategy.FULL },
  { maxAttempts: 8, initialDelay: { seconds: 1.7 }, backoffRate: 3, jitter: JitterStrategy.HALF },
  { maxAttempts: 10, initialDelay: { minutes: 0.5 }, maxDelay: { hours: 1 }, backoffRate: 1.5, jitter: JitterStrategy.NONE },
  { maxAttempts: 5, initialDelay: { seconds: 100 }, backoffRate: 1.1, jitter: JitterStrategy.NONE },
  { maxAttempts: 4, initialDelay: { seconds: 0 }, jitter: JitterStrategy.FULL },
  { retryableErrors: ['timeout', /^fetch failed/], jitter: JitterStrategy.HALF },
  { retryableErrors: [/rate/i] },
  { retryableErrorTypes: [TimeoutError] },
  { retryableErrors: ['ECONNRESET'], retryableErrorTypes: [TimeoutError] },
  { retryableErrors: [] },
  { retryableErrorTypes: [] },
  { maxAttempts: 1 },
];
const LINEAR_CONFIGS = [
  {},
  { maxAttempts: 7, initialDelay: { seconds: 2 }, increment: { seconds: 3 }, maxDelay: { seconds: 10 }, jitter: JitterStrategy.NONE },
  { initialDelay: { seconds: 5 }, increment: { minutes: 1 }, jitter: JitterStrategy.HALF, retryableErrorTypes: [TimeoutError] },
];
const DRAWS = [0.37, 0.81, 0.12, 0.5, 0, 0.999999, 0.25, 0.75];

function compare(ours, theirs, label) {
  for (const error of ERRORS) {
    for (let attemptsMade = 1; attemptsMade <= 11; attemptsMade++) {
      const mine = withRandom(DRAWS, () => ours(error, attemptsMade));
      const sdk = withRandom(DRAWS, () => theirs(error, attemptsMade));
      const where = `${label}, ${error.constructor.name}("${error.message}"), attempt ${attemptsMade}`;
      assert.deepEqual(mine.value, sdk.value, where);
      assert.deepEqual(mine.made, sdk.made, `${where}: draws`);
    }
  }
}

test('the same decisions and draws as the SDK createRetryStrategy, on a grid', () => {
  for (const cfg of CONFIGS) compare(aws.createRetryStrategy(cfg), createRetryStrategy(cfg), JSON.stringify(cfg));
});

test('the same decisions and draws as the SDK createLinearRetryStrategy and retryPresets', () => {
  for (const cfg of LINEAR_CONFIGS) compare(aws.createRetryStrategy(retry.linear(cfg)), createLinearRetryStrategy(cfg), JSON.stringify(cfg));
  compare(aws.createRetryStrategy(retry.preset('default')), retryPresets.default, 'default');
  compare(aws.createRetryStrategy(retry.preset('linear')), retryPresets.linear, 'linear');
  compare(aws.createRetryStrategy(retry.preset('noRetry')), retryPresets.noRetry, 'noRetry');
});

test('a sequence of calls consumes Math.random exactly as the SDK does', () => {
  const cfg = { maxAttempts: 4, retryableErrors: ['timeout'] };
  const calls = [[new Error('timeout'), 1], [new Error('nope'), 2], [new Error('timeout'), 4], [new Error('timeout'), 2], [new Error('timeout'), 3]];
  const run = (strategy) => withRandom(DRAWS, () => calls.map(([e, n]) => strategy(e, n)));
  const mine = run(aws.createRetryStrategy(cfg));
  const sdk = run(createRetryStrategy(cfg));
  assert.deepEqual(mine.value, sdk.value);
  assert.deepEqual(mine.made, sdk.made);
  assert.equal(mine.made.length, 3);
});
