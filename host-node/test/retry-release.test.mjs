// Strategies hold guest memory only while they can decide: registered on first use, freed by
// release() at once (a FinalizationRegistry only runs after the event loop turns, so a
// synchronous loop of strategies would otherwise keep every one of them in the core).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { _test } from '../src/component.js';
import { retry } from '../src/index.js';

const config = retry.exponential({ jitter: 'NONE', retryableErrors: [/time.?out/], retryableErrorTypes: ['TimeoutError'] });
const memory = () => _test.coreExports().memory.buffer.byteLength;

test('creating strategies in one synchronous loop does not grow guest memory', () => {
  retry.createStrategy(config, { profile: 'ts' }).decide(new Error('timeout'), 1); // warm up
  const before = memory();
  const kept = [];
  for (let i = 0; i < 100_000; i++) kept.push(retry.createStrategy(config, { profile: 'ts' }));
  assert.equal(memory(), before);
  assert.equal(kept.at(-1).decide(new Error('timeout'), 1).delaySeconds, 5);
});

test('release() frees a strategy at once and leaves it usable', () => {
  const warm = retry.createStrategy(config, { profile: 'ts' });
  warm.decide(new Error('timeout'), 1);
  warm.release();
  const before = memory();
  for (let i = 0; i < 20_000; i++) {
    const strategy = retry.createStrategy(config, { profile: 'ts' });
    assert.equal(strategy.decide(new Error('read timeout'), 2).delaySeconds, 10);
    strategy.release();
  }
  assert.equal(memory(), before, 'released strategies are reused, not accumulated');
  const again = retry.createStrategy(config, { profile: 'ts' });
  again.decide(new Error('timeout'), 1);
  again.release();
  again.release(); // twice is harmless
  assert.deepEqual(again.decide(new Error('timeout'), 1), { outcome: 'retry', delaySeconds: 5, shouldRetry: true });
});
