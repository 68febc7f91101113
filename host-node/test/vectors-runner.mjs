#!/usr/bin/env node
// Runs conformance vector files (/work/shared/spec/vectors.md) through the package's public API.
//
//   node host-node/test/vectors-runner.mjs [--vectors DIR]...
//
// Runs every *.json in each DIR (default: the repository's tests/vectors) and prints one JSON
// object: {"host": "node", "files": [{file, suite, passed, failures: [{name, expected, actual}]}]}.
// Failing cases, unknown suites and malformed files are reported, not fatal: the exit code is 0
// unless the runner itself fails (bad arguments, an unreadable directory).

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { classifyApiError } from '../src/index.js';

const BUILT_IN = fileURLToPath(new URL('../../tests/vectors', import.meta.url));

// suite -> (input) => the actual result; input errors surface as thrown TypeError/RangeError.
const SUITES = {
  classify: {
    run: (input) => {
      const { category, retryable, rule } = classifyApiError(input);
      return { category, retryable, rule };
    },
    malformedExpected: (expected) =>
      ['INVOCATION', 'EXECUTION'].includes(expected.category) && typeof expected.retryable === 'boolean'
        ? undefined
        : 'expected needs category (INVOCATION or EXECUTION) and retryable (a boolean), or error',
    matches: (expected, actual) =>
      actual.category === expected.category &&
      actual.retryable === expected.retryable &&
      (!('rule' in expected) || actual.rule === expected.rule),
  },
};

function runFile(file) {
  let doc;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return malformedFile(file, null, `unreadable: ${error.message}`);
  }
  const suiteName = isObject(doc) && typeof doc.suite === 'string' ? doc.suite : null;
  if (suiteName === null) return malformedFile(file, null, 'no "suite" string');
  const suite = Object.hasOwn(SUITES, suiteName) ? SUITES[suiteName] : undefined;
  if (!suite) {
    return { file, suite: suiteName, passed: 0, failures: [{ name: `<unknown suite ${suiteName}>`, expected: 'a known suite', actual: suiteName }] };
  }
  if (!Array.isArray(doc.cases)) return malformedFile(file, suiteName, 'no "cases" array');
  const result = { file, suite: suiteName, passed: 0, failures: [] };
  doc.cases.forEach((testCase, index) => {
    const failure = runCase(suite, testCase, index);
    if (failure) result.failures.push(failure);
    else result.passed++;
  });
  return result;
}

/** Returns undefined when the case passes, else its failure record. */
function runCase(suite, testCase, index) {
  const name = isObject(testCase) && typeof testCase.name === 'string' ? testCase.name : `<case ${index}>`;
  const expected = isObject(testCase) ? testCase.expected : undefined;
  const malformed = (why) => ({ name, expected: expected ?? null, actual: { error: `malformed case: ${why}` } });
  if (!isObject(testCase) || typeof testCase.name !== 'string') return malformed('needs a "name" string');
  if (!isObject(expected)) return malformed('needs an "expected" object');
  const wantsError = 'error' in expected;
  if (wantsError && typeof expected.error !== 'string') return malformed('"error" must be a string');
  const badExpected = wantsError ? undefined : suite.malformedExpected(expected);
  if (badExpected) return malformed(badExpected);

  let actual;
  try {
    // Passed through as given (wrong types included), so input validation is exercised.
    actual = suite.run(testCase.input ?? {});
  } catch (error) {
    const isInputError = error instanceof TypeError || error instanceof RangeError;
    if (wantsError && isInputError && error.message.includes(expected.error)) return undefined;
    return { name, expected, actual: { error: `${error?.name}: ${error?.message}` } };
  }
  if (!wantsError && suite.matches(expected, actual)) return undefined;
  return { name, expected, actual };
}

function malformedFile(file, suite, why) {
  return { file, suite, passed: 0, failures: [{ name: '<unreadable vector file>', expected: 'a vector file (vectors.md)', actual: why }] };
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function runDirs(dirs) {
  const files = dirs.flatMap((dir) =>
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
      .map((entry) => join(dir, entry.name))
      .sort(),
  );
  return { host: 'node', files: files.map(runFile) };
}

const { values } = parseArgs({ options: { vectors: { type: 'string', multiple: true } } });
process.stdout.write(`${JSON.stringify(runDirs(values.vectors ?? [BUILT_IN]))}\n`);
