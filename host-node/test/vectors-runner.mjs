#!/usr/bin/env node
// Runs conformance vector files (/work/shared/spec/vectors.md) through the package's public API.
//
//   node host-node/test/vectors-runner.mjs [--vectors DIR|FILE]...
//
// Runs every *.json in each DIR (default: the repository's tests/vectors), and each FILE given
// directly, and prints one JSON object:
// {"host": "node", "files": [{file, suite, passed, failures: [{name, expected, actual}]}]}.
// A case expecting {"error": word} passes when a TypeError/RangeError is thrown whose `coreField`
// (the core's name for the field, on errors from the retry API) is the word or, for an error
// without one, whose message contains it.
// Failing cases, unknown suites and malformed files are reported, not fatal: the exit code is 0
// unless the runner itself fails (bad arguments, an unreadable directory).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { classifyApiError, retry } from '../src/index.js';
import { step } from '../src/step-index.js';
import { isDeepStrictEqual } from 'node:util';
import { runInvocation } from './invocation-script.mjs';
import { expand } from '../../tests/evidence/repeat-markers.mjs';

const BUILT_IN = fileURLToPath(new URL('../../tests/vectors', import.meta.url));

// suite -> (input) => the actual result; input errors surface as thrown TypeError/RangeError.
const SUITES = {
  classify: {
    run: (input) => {
      const { stated_scope: statedScope, ...rest } = input;
      const { category, retryable, rule } = classifyApiError(statedScope === undefined ? rest : { ...rest, statedScope });
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
  retry: {
    // The vectors speak the core's language, so they go in through the API for the core's terms
    // (fromCoreConfig, decideRaw) rather than through the JS-flavoured exponential()/decide().
    run: (input) => {
      const hasConfig = input.config != null;
      const hasPreset = input.preset != null;
      if (hasConfig && hasPreset) {
        throw Object.assign(new TypeError('config: give a config or a preset, not both'), { field: 'config', coreField: 'config' });
      }
      const config = hasPreset
        ? retry.preset(input.preset?.name, { interval: input.preset?.interval_seconds ?? undefined })
        : retry.fromCoreConfig(witConfig(input.config ?? {}));
      const strategy = retry.createStrategy(config, { profile: input.profile ?? 'unified' });
      const { outcome, delaySeconds } = retry.decideRaw(strategy, {
        attemptsMade: input.attempts_made ?? undefined,
        random: input.random ?? 0,
        message: input.message ?? '',
        errorTypes: input.error_types ?? [],
      });
      return { outcome, delay_seconds: delaySeconds };
    },
    malformedExpected: (expected) =>
      ['retry', 'attempts-exhausted', 'not-retryable'].includes(expected.outcome) && Number.isSafeInteger(expected.delay_seconds)
        ? undefined
        : 'expected needs outcome (retry, attempts-exhausted or not-retryable) and delay_seconds (an integer), or error',
    matches: (expected, actual) => actual.outcome === expected.outcome && actual.delay_seconds === expected.delay_seconds,
  },
  step: {
    // The vectors speak the core's JSON contract: the request goes through as written (a string
    // verbatim, for malformed-JSON cases) and the response comes back as the core wrote it.
    run: (input) =>
      byMessage(() => {
        const phases = { begin: step.beginJson, complete: step.completeJson };
        if (!Object.hasOwn(phases, input.phase)) throw new TypeError(`phase: expected begin or complete, got ${JSON.stringify(input.phase)}`);
        return phases[input.phase](input.request);
      }),
    malformedExpected: (expected) =>
      (!('updates' in expected) || (Array.isArray(expected.updates) && expected.updates.every((u) => typeof u === 'string'))) &&
      (!('action' in expected) || isObject(expected.action)) &&
      ('updates' in expected || 'action' in expected)
        ? undefined
        : 'expected needs updates (wire JSON strings) and/or action (an object), or error',
    // Each update byte for byte; the action as JSON. Keys the vector leaves out are not compared.
    matches: (expected, actual) => Object.keys(expected).every((key) => isDeepStrictEqual(actual[key], expected[key])),
  },
  'operation-id': {
    run: (input) =>
      byMessage(() => {
        const { stepId, id } = step.operationId(input.profile ?? 'unified', input.parent ?? null, input.counter);
        return { step_id: stepId, id };
      }),
    malformedExpected: (expected) =>
      ['step_id', 'id'].every((key) => typeof expected[key] === 'string') ? undefined : 'expected needs step_id and id (strings), or error',
    matches: (expected, actual) => actual.step_id === expected.step_id && actual.id === expected.id,
  },
  invocation: {
    run: runInvocation,
    malformedExpected: (expected) =>
      Array.isArray(expected.calls) && 'output' in expected && (expected.output === null) === ('invocation_error' in expected)
        ? undefined
        : 'expected needs calls (a list) and output (null exactly when invocation_error is given), or error',
    matches: (expected, actual) => isDeepStrictEqual(actual, expected),
  },
};

/**
 * Runs `body`, judging its input errors by message like the Rust and Python runners do for these
 * suites (the word is found in the message, which names the field as the JS API and as the core
 * call it), rather than by an exact `coreField`.
 */
function byMessage(body) {
  try {
    return body();
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError) || error.coreField === undefined) throw error;
    const plain = new error.constructor(`${error.message} [core field ${error.coreField}]`);
    throw Object.assign(plain, { field: error.field, kind: error.kind });
  }
}

/**
 * A vector's `config` (snake_case keys, tests/README.md) as the WIT strategy-config record that
 * jco spells in camelCase: only the keys are renamed; null is absent, as the format says.
 */
function witConfig(config) {
  if (!isObject(config)) return config; // fromCoreConfig rejects it
  const out = {};
  for (const [key, value] of Object.entries(config)) {
    if (value !== null) out[key.replace(/_([a-z])/g, (_, c) => c.toUpperCase())] = value;
  }
  return out;
}

async function runFile(file) {
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
  for (const [index, testCase] of doc.cases.entries()) {
    const failure = await runCase(suite, testCase, index);
    if (failure) result.failures.push(failure);
    else result.passed++;
  }
  return result;
}

/** Returns undefined when the case passes, else its failure record. */
async function runCase(suite, compact, index) {
  const testCase = expand(compact);
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
    actual = await suite.run(testCase.input ?? {});
  } catch (error) {
    const isInputError = error instanceof TypeError || error instanceof RangeError;
    // An error that names the core's field is judged by that name alone; others by their message.
    const named = isInputError && (typeof error.coreField === 'string' ? error.coreField === expected.error : error.message.includes(expected.error));
    if (wantsError && named) return undefined;
    const field = typeof error?.coreField === 'string' ? ` [core field ${error.coreField}]` : '';
    return { name, expected, actual: { error: `${error?.name}${field}: ${error?.message}` } };
  }
  // The whole expected object: a key the runner gives and the vector lacks is a mismatch.
  if (!wantsError && suite.matches(expected, actual) && isDeepStrictEqual(actual, expected)) return undefined;
  return { name, expected, actual };
}

function malformedFile(file, suite, why) {
  return { file, suite, passed: 0, failures: [{ name: '<unreadable vector file>', expected: 'a vector file (vectors.md)', actual: why }] };
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function runDirs(dirs) {
  const files = dirs.flatMap((dir) =>
    statSync(dir).isFile()
      ? [dir]
      : readdirSync(dir, { withFileTypes: true })
          .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
          .map((entry) => join(dir, entry.name))
          .sort(),
  );
  const results = [];
  for (const file of files) results.push(await runFile(file));
  return { host: 'node', files: results };
}

const { values } = parseArgs({ options: { vectors: { type: 'string', multiple: true } } });
process.stdout.write(`${JSON.stringify(await runDirs(values.vectors ?? [BUILT_IN]))}\n`);
