// A trap costs one call, not the process: the instance is dropped, the caller gets a
// DurableCoreError, and the next call runs on a fresh instance.
// The tests share one process and run in order: the first needs the rule table not yet loaded.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DurableCoreError, classifyApiError, coreInfo, rules } from '../src/index.js';
import { _test } from '../src/component.js';
import { moduleOf, trappingCore } from './fixtures/wasm-modules.mjs';

const STALE = { status: 400, code: 'InvalidParameterValueException', message: 'Invalid checkpoint token: x' };

function assertTrap(error, fn) {
  assert.ok(error instanceof DurableCoreError, `expected a DurableCoreError, got ${error}`);
  assert.equal(error.name, 'DurableCoreError');
  assert.equal(error.kind, 'trap');
  assert.ok(error.cause instanceof WebAssembly.RuntimeError, `cause: ${error.cause}`);
  assert.match(error.message, new RegExp(`trapped in ${fn}: unreachable`));
  return true;
}

test('a trap while reading the rule table, then recovery on the real core', () => {
  _test.useCoreModule(trappingCore());
  assert.throws(() => classifyApiError(STALE), (e) => assertTrap(e, 'rules'));
  assert.throws(() => rules(), (e) => assertTrap(e, 'rules'), 'each call gets a fresh (trapping) instance');
  assert.throws(() => coreInfo(), (e) => assertTrap(e, 'describe'));
  _test.useCoreModule(undefined);
  assert.equal(classifyApiError(STALE).rule, 'stale-checkpoint-token');
  assert.equal(rules().length > 0, true);
});

test('a trap in classify-packed', () => {
  _test.useCoreModule(trappingCore());
  try {
    assert.throws(() => classifyApiError(STALE), (e) => assertTrap(e, 'classify-packed'));
    // Empty strings need no allocation, so this trap is in classify-packed itself, not in realloc.
    assert.throws(() => classifyApiError({ status: 500 }), (e) => assertTrap(e, 'classify-packed'));
  } finally {
    _test.useCoreModule(undefined);
  }
  assert.equal(classifyApiError({ status: 500 }).rule, 'server-error');
});

test('the real core traps when its memory is exhausted, and the next call gets a fresh instance', (t) => {
  const before = _test.coreExports();
  assert.equal(classifyApiError(STALE).rule, 'stale-checkpoint-token');
  // Leave the guest one free page: allocating the message below then fails inside the real core,
  // whose allocator aborts with `unreachable`.
  const pages = before.memory.buffer.byteLength / 65536;
  try {
    before.memory.grow(65535 - pages);
  } catch (error) {
    t.skip(`cannot grow wasm memory to 4 GiB here: ${error.message}`);
    return;
  }
  assert.throws(() => classifyApiError({ ...STALE, message: 'x'.repeat(200_000) }), (e) => assertTrap(e, 'classify-packed'));

  const after = _test.coreExports();
  assert.notEqual(after, before, 'a new instance');
  assert.ok(after.memory.buffer.byteLength < 16 * 1024 * 1024, 'with fresh memory');
  assert.deepEqual(classifyApiError({ ...STALE, profile: 'ts' }), { category: 'EXECUTION', retryable: false, rule: 'client-error' });
});

test('a module without the exports the host needs is a load error, retried on the next call', () => {
  _test.useCoreModule(moduleOf([['cabi_realloc', 4]]));
  try {
    assert.throws(
      () => classifyApiError(STALE),
      (e) => e instanceof DurableCoreError && e.kind === 'load' && /could not be loaded/.test(e.message) && e.cause instanceof Error,
    );
  } finally {
    _test.useCoreModule(undefined);
  }
  assert.equal(classifyApiError(STALE).category, 'INVOCATION');
});

test('validation happens before the component is reached', () => {
  // With a core that traps on every call, bad input must still be a TypeError/RangeError.
  _test.useCoreModule(trappingCore());
  try {
    assert.throws(() => classifyApiError({ status: true }), TypeError);
    assert.throws(() => classifyApiError({ status: '\ud800' }), RangeError);
    assert.throws(() => classifyApiError({ code: 5 }), TypeError);
    assert.throws(() => classifyApiError({ profile: 'java' }), RangeError);
  } finally {
    _test.useCoreModule(undefined);
  }
});
