// The vector runner's `retry` suite (tests/README.md), on fixtures: a sample derived from the
// SDKs' documented behaviour that must pass, and cases it must report as failing.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const runner = fileURLToPath(new URL('./vectors-runner.mjs', import.meta.url));
const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const run = (...paths) => JSON.parse(execFileSync(process.execPath, [runner, ...paths.flatMap((p) => ['--vectors', p])], { encoding: 'utf8' }));

test('the retry sample passes (a file given directly)', () => {
  const { files } = run(fixture('retry-sample.json'));
  assert.equal(files.length, 1);
  assert.equal(files[0].suite, 'retry');
  assert.deepEqual(files[0].failures, []);
  assert.equal(files[0].passed, 32);
});

test("failures are reported; an expected error is judged by the core's field name", () => {
  const [file] = run(fixture('retry-bad.json')).files;
  assert.equal(file.passed, 2, 'passes, config and preset');
  assert.deepEqual(file.failures.map((f) => f.name), [
    'wrong delay',
    'the error names another core field',
    'a JS name is not the core field',
    'expects an error that does not come',
    'bad outcome',
  ]);
  const [wrongDelay, otherField] = file.failures;
  assert.deepEqual(wrongDelay.actual, { outcome: 'retry', delay_seconds: 2 });
  assert.match(otherField.actual.error, /^RangeError \[core field max-attempts\]: maxAttempts: /);
  assert.match(file.failures[4].actual.error, /malformed case/);
});

const repoVectors = fileURLToPath(new URL('../../tests/vectors/retry.json', import.meta.url));
test('the repository retry vectors pass on Node', { skip: !existsSync(repoVectors) && 'no tests/vectors/retry.json yet' }, () => {
  const [file] = run(repoVectors).files;
  assert.equal(file.suite, 'retry');
  assert.deepEqual(file.failures, []);
  assert.ok(file.passed > 0);
});
