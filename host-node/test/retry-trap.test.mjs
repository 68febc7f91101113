// Strategies live in one core instance. After a trap the instance is replaced, and every
// strategy registers itself again, transparently, on its next decision; a collected strategy
// releases its handle, but only in the instance that issued it.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DurableCoreError, classifyApiError, retry } from '../src/index.js';
import { _test } from '../src/component.js';
import { trappingCore } from './fixtures/wasm-modules.mjs';

const { createStrategy, exponential, preset } = retry;

function assertTrap(error, fn) {
  assert.ok(error instanceof DurableCoreError, `expected a DurableCoreError, got ${error?.stack ?? error}`);
  assert.equal(error.kind, 'trap');
  assert.ok(error.cause instanceof WebAssembly.RuntimeError, `cause: ${error.cause}`);
  assert.match(error.message, new RegExp(`trapped in ${fn}: `));
  return true;
}

const delayOf = (strategy, attemptsMade = 1) => strategy.decide(new Error('x'), attemptsMade).delaySeconds;

test('a strategy made before a trap elsewhere registers again in the new instance', () => {
  // Different configs, so a decision on the wrong handle would show.
  const strategies = [2, 3, 7].map((initialDelay) => createStrategy(exponential({ initialDelay, jitter: 'NONE' })));
  assert.deepEqual(strategies.map((s) => delayOf(s)), [2, 3, 7]);
  const before = _test.coreExports();

  // A trap in another call (classify) drops the instance the strategies are registered in.
  _test.useCoreModule(trappingCore());
  assert.throws(() => classifyApiError({ status: 500 }), (e) => assertTrap(e, 'rules|classify-packed'));
  _test.useCoreModule(undefined);

  // Decide in reverse order: each registers again and gets a different handle than before.
  assert.deepEqual(strategies.toReversed().map((s) => delayOf(s, 2)), [14, 6, 4]);
  assert.notEqual(_test.coreExports(), before, 'a new instance');
  assert.deepEqual(strategies.map((s) => delayOf(s)), [2, 3, 7]);
});

test('a trap while registering again, while deciding, and while creating; then recovery', () => {
  const strategy = createStrategy(preset('default'), { profile: 'ts' });
  _test.useCoreModule(trappingCore());
  try {
    assert.throws(() => strategy.decide(new Error('x'), 1), (e) => assertTrap(e, 'register'));
    assert.throws(() => createStrategy(exponential()), (e) => assertTrap(e, 'resolve'));
    assert.throws(() => exponential({ maxAttempts: 4 }), (e) => assertTrap(e, 'resolve'), 'configs are checked by the core');
    // Host-side validation comes first: a bad type never reaches the (trapping) core.
    assert.throws(() => exponential({ maxAttempts: '4' }), TypeError);
    assert.throws(() => strategy.decide(new Error('x'), '1'), TypeError);
  } finally {
    _test.useCoreModule(undefined);
  }
  assert.deepEqual(strategy.decide(new Error('x'), 2, { random: 0.5 }), { outcome: 'retry', delaySeconds: 5, shouldRetry: true });
});

test('the real core traps in decide-packed when memory is exhausted; the next decision works', (t) => {
  const strategy = createStrategy(exponential({ jitter: 'NONE', retryableErrors: ['timeout'] }), { profile: 'ts' });
  const other = createStrategy(exponential({ jitter: 'NONE', initialDelay: 9 }), { profile: 'ts' });
  assert.equal(delayOf(strategy), 0, 'not retryable: no timeout in "x"');
  assert.equal(delayOf(other), 9);
  const before = _test.coreExports();
  const pages = before.memory.buffer.byteLength / 65536;
  try {
    before.memory.grow(65535 - pages); // one free page left
  } catch (error) {
    t.skip(`cannot grow wasm memory to 4 GiB here: ${error.message}`);
    return;
  }
  assert.throws(() => strategy.decide(new Error(`timeout ${'x'.repeat(200_000)}`), 1), (e) => assertTrap(e, 'decide-packed'));
  const after = _test.coreExports();
  assert.notEqual(after, before);
  assert.ok(after.memory.buffer.byteLength < 16 * 1024 * 1024, 'with fresh memory');
  assert.deepEqual(strategy.decide(new Error('read timeout'), 1), { outcome: 'retry', delaySeconds: 5, shouldRetry: true });
  assert.equal(delayOf(other, 2), 18);
});

test('collected strategies release their handles, never in a newer instance', () => {
  const child = fileURLToPath(new URL('./fixtures/retry-gc-child.mjs', import.meta.url));
  const out = execFileSync(process.execPath, ['--expose-gc', child], { encoding: 'utf8' });
  const report = JSON.parse(out);
  assert.ok(report.handleAfterRelease < 10, `handles were reused after collection: next handle ${report.handleAfterRelease}`);
  assert.equal(report.survivorDelay, 4, "a strategy of the new instance kept its handle when an old instance's strategy was collected");
});
