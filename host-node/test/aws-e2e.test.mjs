// End to end: durable-core's aws.createRetryStrategy as the retryStrategy of a real step in
// @aws/durable-execution-sdk-js 2.4.0, run by the SDK's own local runner
// (@aws/durable-execution-sdk-js-testing 1.1.4, LocalDurableTestRunner with skipTime), against
// the SDK's own createRetryStrategy with the same config and the same Math.random draws. The
// checkpointed histories must be the same: every StepFailed with its RetryDetails
// (NextAttemptDelaySeconds, CurrentAttempt), the final StepSucceeded/StepFailed, and the result.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JitterStrategy, createLinearRetryStrategy, createRetryStrategy, retryPresets, withDurableExecution } from '@aws/durable-execution-sdk-js';
import { LocalDurableTestRunner } from '@aws/durable-execution-sdk-js-testing';
import { aws, retry } from '../src/index.js';

// The runner's skipTime installs fake timers. Installed for the whole file, they also stop
// node:test's own timers, so the file's last test never reports: they are installed per run.
async function withRunner(body) {
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true });
  try {
    return await body();
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment();
  }
}

/** Math.random replaced by a fixed cycle of draws (restarted for each run); returns the draws made. */
async function withDraws(draws, body) {
  const real = Math.random;
  let next = 0;
  const made = [];
  Math.random = () => {
    const value = draws[next++ % draws.length];
    made.push(value);
    return value;
  };
  try {
    return { value: await body(), made };
  } finally {
    Math.random = real;
  }
}

/**
 * Runs a handler with one step that throws `fail(n)` on its first `failures` calls, then returns
 * "ok". Returns the execution's status, result and the step's history, without ids or times.
 */
async function run(retryStrategy, failures, fail = (n) => new Error(`fail #${n}`)) {
  let calls = 0;
  const decisions = [];
  const recording = (error, attemptsMade) => {
    const decision = retryStrategy(error, attemptsMade);
    decisions.push([attemptsMade, decision]);
    return decision;
  };
  const handler = withDurableExecution(async (_event, context) =>
    context.step(
      'flaky',
      async () => {
        calls++;
        if (calls <= failures) throw fail(calls);
        return 'ok';
      },
      { retryStrategy: recording },
    ),
  );
  const result = await withRunner(() => new LocalDurableTestRunner({ handlerFunction: handler }).run({ payload: {} }));
  const status = result.getStatus();
  const history = result
    .getHistoryEvents()
    .filter((event) => String(event.EventType).startsWith('Step'))
    .map((event) => {
      const failed = event.StepFailedDetails;
      const succeeded = event.StepSucceededDetails;
      return {
        type: event.EventType,
        ...(failed && {
          error: failed.Error?.Payload?.ErrorMessage,
          nextAttemptDelaySeconds: failed.RetryDetails?.NextAttemptDelaySeconds,
          currentAttempt: failed.RetryDetails?.CurrentAttempt,
        }),
        ...(succeeded && { result: succeeded.Result?.Payload, currentAttempt: succeeded.RetryDetails?.CurrentAttempt }),
      };
    });
  return { status, result: status === 'SUCCEEDED' ? result.getResult() : result.getError().errorMessage, history, calls, decisions };
}

/** Runs the same scenario with both strategies and the same draws; returns both records. */
async function both(ours, theirs, failures, fail, draws = [0.37, 0.81, 0.12, 0.64, 0.999]) {
  const core = await withDraws(draws, () => run(ours, failures, fail));
  const sdk = await withDraws(draws, () => run(theirs, failures, fail));
  assert.deepEqual(core.value.history, sdk.value.history, 'the checkpointed histories');
  assert.deepEqual(core.value.decisions, sdk.value.decisions, 'every decision');
  assert.equal(core.value.status, sdk.value.status);
  assert.deepEqual(core.value.result, sdk.value.result);
  assert.equal(core.value.calls, sdk.value.calls);
  assert.deepEqual(core.made, sdk.made, 'the same Math.random draws, as many');
  return core.value;
}

const retries = (history) => history.filter((e) => e.type === 'StepFailed' && e.nextAttemptDelaySeconds !== undefined);

test('a step that fails twice then succeeds: the same RETRY history as the SDK strategy', async () => {
  const cfg = { maxAttempts: 5, initialDelay: { seconds: 3 }, maxDelay: { seconds: 60 }, backoffRate: 2.5, jitter: JitterStrategy.FULL };
  const outcome = await both(aws.createRetryStrategy(cfg), createRetryStrategy(cfg), 2);
  assert.equal(outcome.status, 'SUCCEEDED');
  assert.equal(outcome.result, 'ok');
  // Two retries, delayed by FULL jitter on 3 s then 7.5 s with the draws 0.37 and 0.81.
  assert.deepEqual(retries(outcome.history).map((e) => e.nextAttemptDelaySeconds), [Math.round(0.37 * 3), Math.round(0.81 * 7.5)]);
  assert.equal(outcome.history.at(-1).type, 'StepSucceeded');
  assert.equal(outcome.history.at(-1).result, '"ok"');
});

test('attempts exhausted: the step fails after maxAttempts, as with the SDK', async () => {
  const cfg = { maxAttempts: 3, initialDelay: { seconds: 2 }, jitter: JitterStrategy.HALF };
  const outcome = await both(aws.createRetryStrategy(cfg), createRetryStrategy(cfg), 10);
  assert.equal(outcome.status, 'FAILED');
  assert.equal(outcome.calls, 3);
  assert.equal(retries(outcome.history).length, 2);
  assert.equal(outcome.history.at(-1).nextAttemptDelaySeconds, undefined, 'the last failure is final');
});

test('filters: a message the RegExp does not match fails at once; one it matches retries', async () => {
  class ThrottledError extends Error {}
  const cfg = { initialDelay: { seconds: 1 }, retryableErrors: [/timeout/i], retryableErrorTypes: [ThrottledError] };
  const failFast = await both(aws.createRetryStrategy(cfg), createRetryStrategy(cfg), 1, () => new Error('bad request'));
  assert.equal(failFast.status, 'FAILED');
  assert.equal(failFast.calls, 1);
  const byMessage = await both(aws.createRetryStrategy(cfg), createRetryStrategy(cfg), 1, () => new Error('Read TIMEOUT'));
  assert.equal(byMessage.status, 'SUCCEEDED');
  const byType = await both(aws.createRetryStrategy(cfg), createRetryStrategy(cfg), 1, () => new ThrottledError('slow down'));
  assert.equal(byType.status, 'SUCCEEDED');
});

test('a thrown string reaches the strategy as "Unknown Error", with both strategies', async () => {
  const cfg = { initialDelay: { seconds: 1 }, jitter: JitterStrategy.NONE, retryableErrors: ['Unknown'] };
  const outcome = await both(aws.createRetryStrategy(cfg), createRetryStrategy(cfg), 1, () => 'timeout');
  assert.equal(outcome.status, 'SUCCEEDED');
});

test('presets and linear configs: retry.preset / retry.linear against retryPresets / createLinearRetryStrategy', async () => {
  const preset = await both(aws.createRetryStrategy(retry.preset('default')), retryPresets.default, 3);
  assert.equal(retries(preset.history).length, 3);
  const cfg = { maxAttempts: 4, initialDelay: { seconds: 2 }, increment: { seconds: 3 }, jitter: JitterStrategy.HALF };
  const linear = await both(aws.createRetryStrategy(retry.linear(cfg)), createLinearRetryStrategy(cfg), 2);
  assert.equal(linear.status, 'SUCCEEDED');
});
