// The vector runner's `step` and `operation-id` suites, on sample files written here: requests go
// to the core as written (text verbatim), updates compare byte for byte, actions as JSON, and an
// expected error passes when the word is in the message (as on the Rust and Python runners).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const runner = fileURLToPath(new URL('./vectors-runner.mjs', import.meta.url));
const NOW = 1_700_000_000_000;
const ts = (extra) => ({ profile: 'ts', id: 'op', name: 'n', now_ms: NOW, random: 0, ...extra });
const START = '{"Type":"STEP","Action":"START","Id":"op","SubType":"Step","Name":"n"}';
const EXECUTE = { kind: 'execute', attempt: 1, send_start: true, await_start: false };

const STEP_CASES = [
  { name: 'first run', input: { phase: 'begin', request: ts({ operation: null }) }, expected: { updates: [START], action: EXECUTE } },
  { name: 'action only', input: { phase: 'begin', request: ts({}) }, expected: { action: EXECUTE } },
  { name: 'text verbatim', input: { phase: 'begin', request: JSON.stringify(ts({})) }, expected: { updates: [START], action: EXECUTE } },
  {
    name: 'python retry: compact, ASCII-escaped',
    input: {
      phase: 'complete',
      request: {
        profile: 'python',
        id: 'op',
        now_ms: 1000,
        random: 0.5,
        attempt: 1,
        retry: { config: { initial_delay_seconds: 2, jitter: 'NONE' } },
        outcome: { failure: { error_type: 'ValueError', message: 'é' } },
      },
    },
    expected: {
      updates: ['{"Id":"op","Type":"STEP","Action":"RETRY","SubType":"Step","Error":{"ErrorMessage":"\\u00e9","ErrorType":"ValueError"},"StepOptions":{"NextAttemptDelaySeconds":2}}'],
      action: { kind: 'suspend', until_ms: 3000 },
    },
  },
  { name: 'malformed text', input: { phase: 'begin', request: '{"id":' }, expected: { error: 'request' } },
  { name: 'core field name', input: { phase: 'complete', request: ts({ now_ms: -1, attempt: 1, outcome: { success: {} } }) }, expected: { error: 'now-ms' } },
  { name: 'nested field', input: { phase: 'complete', request: ts({ attempt: 1, outcome: { failure: { error_type: 5 } } }) }, expected: { error: 'outcome.failure.error-type' } },
  { name: 'a word of the field', input: { phase: 'begin', request: ts({ operation: { Status: 'DONE' } }) }, expected: { error: 'Status' } },
  { name: 'bad phase', input: { phase: 'middle', request: {} }, expected: { error: 'phase' } },
  // these must fail
  { name: 'WRONG update', input: { phase: 'begin', request: ts({}) }, expected: { updates: [START.replace('"Name":"n"', '"Name": "n"')] } },
  { name: 'WRONG action', input: { phase: 'begin', request: ts({}) }, expected: { action: { ...EXECUTE, attempt: 2 } } },
  { name: 'WRONG error word', input: { phase: 'begin', request: '{' }, expected: { error: 'now-ms' } },
  { name: 'WRONG expected', input: { phase: 'begin', request: ts({}) }, expected: { updates: 'x' } },
];

const ID_CASES = [
  { name: 'ts root', input: { profile: 'ts', parent: null, counter: 1 }, expected: { step_id: '1', id: 'c4ca4238a0b92382' } },
  { name: 'ts child', input: { profile: 'ts', parent: '1', counter: 2 }, expected: { step_id: '1-2', id: '98c6f2c2287f4c73' } },
  {
    name: 'python root',
    input: { profile: 'python', counter: 2 },
    expected: { step_id: 'c5faca15ac2f93578b39ef4b6bbb871bdedce4ddd584fd31f0bb66fade3947e6', id: 'c5faca15ac2f93578b39ef4b6bbb871bdedce4ddd584fd31f0bb66fade3947e6' },
  },
  { name: 'counter 0', input: { profile: 'ts', counter: 0 }, expected: { error: 'counter' } },
  { name: 'counter missing', input: { profile: 'ts' }, expected: { error: 'counter' } },
  { name: 'empty parent', input: { profile: 'python', parent: '', counter: 1 }, expected: { error: 'parent' } },
  { name: 'bad profile', input: { profile: 'java', counter: 1 }, expected: { error: 'profile' } },
  { name: 'WRONG id', input: { profile: 'unified', counter: 1 }, expected: { step_id: '1', id: 'c4ca4238a0b92383' } },
];

test('the step and operation-id suites', () => {
  const dir = mkdtempSync(join(tmpdir(), 'step-vectors-'));
  try {
    writeFileSync(join(dir, 'operation-id.json'), JSON.stringify({ version: 1, suite: 'operation-id', cases: ID_CASES }));
    writeFileSync(join(dir, 'step.json'), JSON.stringify({ version: 1, suite: 'step', cases: STEP_CASES }));
    const report = JSON.parse(execFileSync(process.execPath, [runner, '--vectors', dir], { encoding: 'utf8' }));
    const [ids, steps] = report.files;
    assert.equal(ids.suite, 'operation-id');
    assert.deepEqual(ids.failures.map((f) => f.name), ['WRONG id']);
    assert.equal(ids.passed, ID_CASES.length - 1);
    assert.deepEqual(ids.failures[0].actual, { step_id: '1', id: 'c4ca4238a0b92382' });
    assert.equal(steps.suite, 'step');
    // The whole expected object is compared: an expectation that leaves out `updates` fails.
    assert.deepEqual(steps.failures.map((f) => f.name), ['action only', 'WRONG update', 'WRONG action', 'WRONG error word', 'WRONG expected']);
    assert.equal(steps.passed, STEP_CASES.length - 5);
    assert.match(steps.failures[3].actual.error, /^RangeError: request: /);
    assert.match(steps.failures[4].actual.error, /malformed case/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
