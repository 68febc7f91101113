// The vector runner CLI, on fixtures: a sample that passes, and files it must report as failing.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const runner = fileURLToPath(new URL('./vectors-runner.mjs', import.meta.url));
const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function run(...dirs) {
  const out = execFileSync(process.execPath, [runner, ...dirs.flatMap((dir) => ['--vectors', dir])], { encoding: 'utf8' });
  return JSON.parse(out);
}

test('the sample vectors pass', () => {
  const report = run(fixture('vectors'));
  assert.equal(report.host, 'node');
  assert.equal(report.files.length, 1);
  const [file] = report.files;
  assert.equal(file.suite, 'classify');
  assert.deepEqual(file.failures, []);
  assert.equal(file.passed, 18);
});

test('failures, unknown suites and malformed files are reported, with exit code 0', () => {
  const report = run(fixture('vectors'), fixture('bad-vectors'));
  const byName = Object.fromEntries(report.files.map((f) => [f.file.split('/').pop(), f]));
  assert.deepEqual(Object.keys(byName), ['classify-sample.json', 'a-wrong-expectations.json', 'b-unknown-suite.json', 'c-malformed.json', 'd-no-suite.json']);

  const wrong = byName['a-wrong-expectations.json'];
  assert.equal(wrong.passed, 1);
  assert.deepEqual(wrong.failures.map((f) => f.name), [
    'wrong category',
    'wrong rule',
    'expects an error that does not come',
    'error without the word',
    'no expected',
    'bad category',
  ]);
  const [wrongCategory] = wrong.failures;
  assert.deepEqual(wrongCategory.expected, { category: 'EXECUTION', retryable: false });
  assert.deepEqual(wrongCategory.actual, { category: 'INVOCATION', retryable: true, rule: 'server-error' });
  assert.match(wrong.failures[3].actual.error, /^TypeError: status: /);

  assert.deepEqual(byName['b-unknown-suite.json'].failures.map((f) => f.name), ['<unknown suite teleport>']);
  assert.equal(byName['b-unknown-suite.json'].passed, 0);
  for (const name of ['c-malformed.json', 'd-no-suite.json']) {
    assert.deepEqual(byName[name].failures.map((f) => f.name), ['<unreadable vector file>']);
  }
});

test('a missing directory is a runner error (non-zero exit)', () => {
  const result = spawnSync(process.execPath, [runner, '--vectors', fixture('no-such-dir')], { encoding: 'utf8' });
  assert.notEqual(result.status, 0);
  assert.equal(result.stdout, '');
});

const builtIn = fileURLToPath(new URL('../../tests/vectors', import.meta.url));
test('the repository vectors pass on Node', { skip: !existsSync(builtIn) && 'no tests/vectors' }, () => {
  const report = JSON.parse(execFileSync(process.execPath, [runner], { encoding: 'utf8' }));
  assert.ok(report.files.length > 0);
  for (const file of report.files) assert.deepEqual(file.failures, [], file.file);
});
