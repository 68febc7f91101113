// The README's JavaScript examples run as written (through the package's own name and
// subpaths), and the results its comments show are the ones the package returns.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { aws, classifyApiError, retry } from 'durable-core';
import { step } from 'durable-core/step';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

test('the README examples run as written', () => {
  assert.ok(blocks.length >= 3, 'README has its JS examples');
  // The durable-core/sdk example is a handler module of its own (its names are the JS SDK's, which
  // another example imports from the SDK itself); the others build on each other as one module.
  const handlers = blocks.filter((b) => b.includes("from 'durable-core/sdk'"));
  const rest = blocks.filter((b) => !handlers.includes(b));
  // Inside the package directory, so `durable-core` resolves to this package by its own name.
  const file = fileURLToPath(new URL('../.readme-example.mjs', import.meta.url));
  for (const source of [rest.join('\n'), ...handlers]) {
    writeFileSync(file, source);
    try {
      const run = spawnSync(process.execPath, [file], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
    } finally {
      rmSync(file, { force: true });
    }
  }
});

test('the README shows what the package returns', () => {
  assert.deepEqual(
    { ...classifyApiError({ status: 400, code: 'InvalidParameterValueException', message: 'Invalid checkpoint token: expired' }) },
    { category: 'INVOCATION', retryable: true, rule: 'stale-checkpoint-token' },
  );
  const strategy = retry.createStrategy(retry.preset('default'), { profile: 'ts' });
  assert.deepEqual({ ...strategy.decide(new Error('throttled'), 2, { random: 0.5 }) },
    { outcome: 'retry', delaySeconds: 5, shouldRetry: true });
  const retryStrategy = aws.createRetryStrategy(
    retry.exponential({ maxAttempts: 5, initialDelay: { seconds: 2 }, backoffRate: 3, jitter: 'NONE' }));
  assert.deepEqual(retryStrategy(new Error('boom'), 2), { shouldRetry: true, delay: { seconds: 6 } });
  const plan = step.begin({ id: 'c4ca4238a0b92382', name: 'charge', profile: 'ts' }, null, { nowMs: 1_700_000_000_000 });
  assert.deepEqual(plan.updates, ['{"Type":"STEP","Action":"START","Id":"c4ca4238a0b92382","SubType":"Step","Name":"charge"}']);
  assert.deepEqual({ ...plan.action }, { kind: 'execute', attempt: 1, sendStart: true, awaitStart: false });
});
