// The rule table and versions come from the core; JS restates no rule.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { classifyApiError, coreInfo, rules } from '../src/index.js';
import { _test } from '../src/component.js';

test('rules() is the core rules() table, in discriminant order', () => {
  const fromCore = _test.glue().classify.rules();
  assert.deepEqual(
    rules().map((r) => ({ ...r })),
    fromCore.map(({ rule, category, retryable, summary }) => ({ id: rule, category: category.toUpperCase(), retryable, summary })),
  );
  assert.ok(Object.isFrozen(rules()) && rules().every(Object.isFrozen));
  assert.equal(rules(), rules(), 'read once');
});

test('the public API agrees with the core record entry point (classify) on every input shape', () => {
  const { classify } = _test.glue().classify;
  const byId = new Map(rules().map((r) => [r.id, r]));
  const codes = [undefined, '', 'InvalidParameterValueException', 'KMSNotFoundException', 'KMSThrottlingException', 'ValidationException'];
  const messages = [undefined, '', 'Invalid checkpoint token: x', 'Invalid Checkpoint Token', 'invalid CHECKPOINT token', 'other'];
  const statuses = [undefined, 0, 200, 399, 400, 403, 429, 499, 500, 502, 599, 600];
  for (const api of ['checkpoint', 'get-state']) {
    for (const profile of ['unified', 'python', 'ts']) {
      for (const status of statuses) {
        for (const code of codes) {
          for (const message of messages) {
            const actual = classifyApiError({ api, status, code, message, profile });
            const core = classify({ api, status, code, message }, profile);
            const label = JSON.stringify({ api, status, code, message, profile });
            assert.deepEqual(actual, { category: core.category.toUpperCase(), retryable: core.retryable, rule: core.rule }, label);
            const row = byId.get(actual.rule);
            assert.equal(actual.category, row.category, label);
            assert.equal(actual.retryable, row.retryable, label);
            assert.equal(actual.retryable, actual.category === 'INVOCATION', label);
          }
        }
      }
    }
  }
});

test('no rule is restated in the JS sources', () => {
  const dir = new URL('../src/', import.meta.url);
  const source = readdirSync(dir)
    .filter((name) => name.endsWith('.js'))
    .map((name) => readFileSync(new URL(name, dir), 'utf8'))
    .join('\n');
  const ruleWords = [
    ...rules().map((r) => r.id),
    'KMSAccessDenied',
    'InvalidParameterValue',
    'Invalid Checkpoint Token',
    'Invalid checkpoint token',
    '429',
  ];
  for (const word of ruleWords) assert.ok(!source.includes(word), `src/ mentions ${word}`);
});

test('coreInfo() reports the versions the core was built with', () => {
  const info = coreInfo();
  const wit = readFileSync(new URL('../../wit/core.wit', import.meta.url), 'utf8');
  assert.equal(info.witVersion, wit.match(/^package durable:core@(\S+);/m)[1]);
  assert.match(info.crateVersion, /^\d+\.\d+\.\d+/);
  assert.ok(Number.isInteger(info.rulesVersion) && info.rulesVersion >= 1);
  assert.ok(Object.isFrozen(info));
  assert.equal(coreInfo(), info, 'read once');
});
