// The hand-written lowering of decide-packed (src/abi.js) against jco's glue, and its allocation
// contract with the guest.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { _test, core } from '../src/component.js';

const CONFIGS = [
  { backoff: 'exponential' },
  { backoff: 'exponential', maxAttempts: 4, initialDelaySeconds: 3, jitter: 'HALF', retryableErrors: [{ syntax: 'js-regex', source: '^time(out)?', flags: 'i' }] },
  { backoff: 'linear', jitter: 'NONE', retryableErrorTypes: ['TimeoutError', 'é'] },
  { backoff: 'exponential', initialDelaySeconds: 2 ** 53 - 1, maxDelaySeconds: 2 ** 53 - 1, jitter: 'NONE', maxAttempts: 10 },
  { backoff: 'exponential', retryableErrors: [{ syntax: 'substring', source: '😀', flags: '' }], retryableErrorTypes: [] },
];
const PROFILES = ['unified', 'python', 'ts'];
const ATTEMPTS = [1, 2, 3, 9, 0, 1.5, -1, NaN, Infinity, 2 ** 32];
const RANDOMS = [0, 0.5, 0.999999, 1, -0.5, NaN];
const MESSAGES = ['', 'timeout', 'Time', 'é', '😀 boom', '\ud800 lone', 'a\u0000b'];
// 1.2 MB of capacity: grows guest memory mid-call. Fewer combinations, for time.
const HUGE = `timeout ${'ü'.repeat(400_000)}`;
const TYPES = ['', 'Error', 'TimeoutError\nError', 'é\n', '\n\n', 'TypeError\nTimeoutError\nError'];

test('the hot path answers exactly what the glue answers', () => {
  const { decidePacked } = core();
  const glue = _test.glue().retry;
  let compared = 0;
  for (const config of CONFIGS) {
    for (const profile of PROFILES) {
      const handle = glue.register(config, profile);
      try {
        for (const attempts of ATTEMPTS) {
          for (const random of RANDOMS) {
            for (const message of MESSAGES) {
              for (const types of TYPES) {
                const expected = glue.decidePacked(handle, attempts, random, message, types);
                const actual = BigInt.asUintN(64, decidePacked(handle, attempts, random, message, types));
                assert.equal(actual, expected, JSON.stringify({ config, profile, attempts, random, message: message.slice(0, 20), types }));
                compared++;
              }
            }
          }
        }
        for (const types of TYPES) {
          assert.equal(BigInt.asUintN(64, decidePacked(handle, 1, 0.5, HUGE, types)), glue.decidePacked(handle, 1, 0.5, HUGE, types));
        }
      } finally {
        glue.release(handle);
      }
    }
  }
  // An unregistered handle is rejected the same way.
  assert.equal(BigInt.asUintN(64, decidePacked(123456, 1, 0, 'x', 'Error')), glue.decidePacked(123456, 1, 0, 'x', 'Error'));
  assert.ok(compared > 25_000);
});

test('the guest frees every string the hot path allocates', () => {
  const { decidePacked } = core();
  const glue = _test.glue().retry;
  const { memory } = _test.coreExports();
  const handle = glue.register({ backoff: 'exponential', retryableErrors: [{ syntax: 'substring', source: 'é', flags: '' }] }, 'ts');
  const message = `read timeout ${'é'.repeat(1000)}`; // capacity 3x the units, shrunk to fit
  const types = 'ReadTimeoutError\nTimeoutError\nError';
  for (let i = 0; i < 1000; i++) decidePacked(handle, 1, 0.5, message, types);
  const size = memory.buffer.byteLength;
  for (let i = 0; i < 200_000; i++) decidePacked(handle, 1 + (i % 3), 0.5, message, types);
  assert.equal(memory.buffer.byteLength, size, '600 MB allocated in total, so a leak would have grown memory');
  glue.release(handle);
});

test('registering and releasing does not grow memory either', () => {
  const glue = _test.glue().retry;
  const { memory } = _test.coreExports();
  const config = { backoff: 'exponential', retryableErrors: [{ syntax: 'js-regex', source: '(a|b)+c{2,5}', flags: 'i' }] };
  for (let i = 0; i < 200; i++) glue.release(glue.register(config, 'unified'));
  const size = memory.buffer.byteLength;
  const handles = new Set();
  for (let i = 0; i < 20_000; i++) {
    const handle = glue.register(config, 'unified');
    handles.add(handle);
    glue.release(handle);
  }
  assert.equal(memory.buffer.byteLength, size);
  assert.ok(handles.size <= 2, 'a released slot is reused');
});
