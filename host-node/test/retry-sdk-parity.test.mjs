// Retry decisions of the `ts` profile, checked against the real released SDK.
//
// @aws/durable-execution-sdk-js 2.4.0 is the reference. Two parts:
//
// (a) Vectors. Every `retry` case whose profile is `ts` (tests/vectors/*.json, plus every
//     directory in DURABLE_CORE_VECTORS, colon-separated) is replayed on the SDK: the strategy is
//     built from the case with createRetryStrategy / createLinearRetryStrategy / retryPresets,
//     the error is an instance of freshly made classes named after `error_types` (most specific
//     first, each extending the next; a final "Error" is the real Error) with `message`, and
//     Math.random returns the case's `random`. Nothing from durable-core is used here: if a vector
//     disagrees with the SDK, the vector is wrong. Error cases are not replayed (the SDK does not
//     validate); cases marked "documented divergence" must still make the SDK produce the NaN
//     their source describes, so a divergence that disappears is noticed.
//
// (b) Grid. The same configurations given to the SDK and to durable-core's Node host
//     (retry.createStrategy(..., {profile: "ts"}).decide and the SDK adapter
//     aws.createRetryStrategy) over a grid of delays, rates, jitters, attempts, random draws,
//     filters and errors. Every decision must be the same.
//
// The SDK's decision says only "retry or not"; where the outcome (attempts-exhausted or
// not-retryable) is compared, it is recovered from the SDK itself by asking the same
// configuration without its filters (which then retries every error): if that one stops too,
// the attempts ran out.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import {
  createLinearRetryStrategy,
  createRetryStrategy,
  JitterStrategy,
  retryPresets,
} from "@aws/durable-execution-sdk-js";
import { aws, retry } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");

function sdkVersion() {
  // The package's exports do not include package.json: find it beside the resolved entry point.
  const entry = createRequire(import.meta.url).resolve("@aws/durable-execution-sdk-js");
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (pkg.name === "@aws/durable-execution-sdk-js") return pkg.version;
    } catch {
      // not this directory
    }
  }
  return undefined;
}

test("the reference is the released SDK 2.4.0", () => {
  assert.equal(sdkVersion(), "2.4.0");
});

/** Runs fn with Math.random() returning r (the SDK and durable-core's host both call it). */
function drawing(r, fn) {
  const saved = Math.random;
  Math.random = () => r;
  try {
    return fn();
  } finally {
    Math.random = saved;
  }
}

/** A class named `name` extending `base`, made at run time. */
function namedClass(name, base) {
  return { [name]: class extends base {} }[name];
}

// ---------------------------------------------------------------------------- (a) vectors

function vectorDirs() {
  const extra = (process.env.DURABLE_CORE_VECTORS ?? "").split(":").filter(Boolean);
  return [join(repo, "tests", "vectors"), ...extra];
}

function tsCases() {
  const cases = [];
  for (const dir of vectorDirs()) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
      const doc = JSON.parse(readFileSync(join(dir, file), "utf8"));
      if (doc.suite !== "retry") continue;
      for (const c of doc.cases) {
        if ("error" in c.expected || !["ts", "ts@2.4.0"].includes(c.input.profile ?? "unified")) continue;
        cases.push({ id: `${file}::${c.name}`, input: c.input, expected: c.expected, source: c.source ?? "" });
      }
    }
  }
  return cases;
}

/** An error with `message`, of fresh classes named `names` (most specific first). */
function errorOf(message, names) {
  const classes = new Map();
  let base = Error;
  for (let i = names.length - 1; i >= 0; i--) {
    const name = names[i];
    // The chain's root "Error" is the real Error, so a type filter naming Error means it.
    const cls = i === names.length - 1 && name === "Error" ? Error : namedClass(name, base);
    classes.set(name, cls);
    base = cls;
  }
  const Leaf = names.length > 0 ? classes.get(names[0]) : namedClass("UnnamedError", Error);
  const error = new Leaf(message);
  assert.equal(error.message, message);
  return { error, classes };
}

class NotExpressible extends Error {}

/** The SDK's strategy for a vector input. Absent fields keep the SDK's defaults. */
function sdkStrategy(input, classes, { filters = true } = {}) {
  if (input.preset) {
    const name = { "no-retry": "noRetry" }[input.preset.name] ?? input.preset.name;
    if (input.preset.interval_seconds !== undefined || !Object.hasOwn(retryPresets, name)) {
      throw new NotExpressible(`preset ${JSON.stringify(input.preset)}`);
    }
    return retryPresets[name];
  }
  const c = input.config ?? {};
  // Only present keys: an explicit `undefined` would override the SDK's default.
  const o = {};
  if (c.max_attempts != null) o.maxAttempts = c.max_attempts;
  if (c.initial_delay_seconds != null) o.initialDelay = { seconds: c.initial_delay_seconds };
  if (c.max_delay_seconds != null) o.maxDelay = { seconds: c.max_delay_seconds };
  if (c.increment_seconds != null) o.increment = { seconds: c.increment_seconds };
  if (c.backoff_rate != null) o.backoffRate = c.backoff_rate;
  if (c.jitter != null) o.jitter = c.jitter;
  if (filters && c.retryable_errors != null) {
    o.retryableErrors = c.retryable_errors.map((p) => {
      if (p.syntax === "substring") return p.source;
      if (p.syntax === "js-regex") return new RegExp(p.source, p.flags ?? "");
      throw new NotExpressible(`${p.syntax} pattern ${JSON.stringify(p.source)}`);
    });
  }
  if (filters && c.retryable_error_types != null) {
    // A name in the error's chain is that class; any other name is an unrelated class.
    o.retryableErrorTypes = c.retryable_error_types.map((n) => classes.get(n) ?? namedClass(n, Error));
  }
  return (c.backoff ?? "exponential") === "linear" ? createLinearRetryStrategy(o) : createRetryStrategy(o);
}

const TS_CASES = tsCases();

test("there are ts-profile retry vectors", () => {
  // Guards against a loop over nothing.
  assert.ok(TS_CASES.length >= 50, `only ${TS_CASES.length} ts-profile retry vectors found`);
});

for (const { id, input, expected, source } of TS_CASES) {
  test(`vector ${id} matches the SDK`, (t) => {
    const { error, classes } = errorOf(input.message ?? "", input.error_types ?? []);
    let strategy;
    try {
      strategy = sdkStrategy(input, classes);
    } catch (why) {
      if (why instanceof NotExpressible) return t.skip(`not expressible with the JS SDK: ${why.message}`);
      throw why;
    }
    const r = input.random ?? 0;
    const decision = drawing(r, () => strategy(error, input.attempts_made));
    const seconds = decision.shouldRetry ? decision.delay.seconds : undefined;
    if (Number.isNaN(seconds)) {
      // Only a documented divergence may make the SDK answer NaN.
      assert.ok(source.includes("documented divergence") && source.includes("NaN"), `the SDK answered NaN: ${source}`);
      return undefined;
    }
    assert.ok(!source.includes("documented divergence"), `the SDK no longer diverges: ${JSON.stringify(decision)}`);
    let outcome = "retry";
    if (!decision.shouldRetry) {
      const unfiltered = drawing(r, () => sdkStrategy(input, classes, { filters: false })(error, input.attempts_made));
      outcome = unfiltered.shouldRetry ? "not-retryable" : "attempts-exhausted";
    }
    assert.equal(decision.shouldRetry, expected.outcome === "retry");
    if (decision.shouldRetry) assert.deepEqual(Object.keys(decision.delay), ["seconds"]);
    assert.deepEqual({ outcome, delay_seconds: seconds ?? 0 }, expected);
    return undefined;
  });
}

// ---------------------------------------------------------------------------- (b) grid

class GridReport {
  constructor(name) {
    this.name = name;
    this.points = 0; // grid combinations (config x attempts x random x error)
    this.compared = 0; // comparisons: decide() and aws.createRetryStrategy at every point
    this.mismatches = [];
  }

  check(what, sdk, core) {
    this.compared++;
    const a = JSON.stringify(sdk);
    const b = JSON.stringify(core);
    if (a !== b) this.mismatches.push(`${what}: SDK ${a} != durable-core ${b}`);
  }

  finish(minimum) {
    console.log(
      `[grid ${this.name}] ${this.points} combinations, ${this.compared} comparisons with the SDK, ` +
        `${this.mismatches.length} mismatches`,
    );
    assert.deepEqual(this.mismatches.slice(0, 25), []);
    assert.ok(this.points >= minimum, `grid ${this.name}: only ${this.points} combinations`);
  }
}

/** One configuration given to the SDK and to durable-core (decide and the SDK adapter). */
class Both {
  constructor(label, sdk, config, sdkUnfiltered = undefined) {
    this.label = label;
    this.sdk = sdk;
    this.sdkUnfiltered = sdkUnfiltered; // undefined: no filters, so every stop is exhaustion
    this.core = retry.createStrategy(config, { profile: "ts" });
    this.adapter = aws.createRetryStrategy(config, { profile: "ts" });
  }

  compare(report, error, attempts, r) {
    report.points++;
    const [expected, adapted, stops] = drawing(r, () => {
      const e = this.sdk(error, attempts);
      const unfiltered = this.sdkUnfiltered;
      const s = e.shouldRetry ? false : unfiltered === undefined || !unfiltered(error, attempts).shouldRetry;
      return [e, this.adapter(error, attempts), s];
    });
    const outcome = expected.shouldRetry ? "retry" : stops ? "attempts-exhausted" : "not-retryable";
    const decided = this.core.decide(error, attempts, { random: r });
    const what = `${this.label} attempt=${attempts} r=${r} error=${error?.constructor?.name}(${JSON.stringify(error?.message)})`;
    report.check(
      what,
      { outcome, delaySeconds: expected.shouldRetry ? expected.delay.seconds : 0 },
      { outcome: decided.outcome, delaySeconds: decided.delaySeconds },
    );
    report.check(`${what} [aws.createRetryStrategy]`, expected, adapted);
  }
}

const RANDOMS = [0, 0.1, 0.3, 0.5, 0.7, 0.999];
const JITTERS = [JitterStrategy.NONE, JitterStrategy.FULL, JitterStrategy.HALF];
const draws = (jitter) => (jitter === JitterStrategy.NONE ? [0.5] : RANDOMS);
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test("grid: exponential", () => {
  const report = new GridReport("exponential");
  const error = new Error("boom");
  for (const initial of [0, 1, 1.7, 3, 5, 100]) {
    for (const max of [1, 7, 60, 300]) {
      for (const backoffRate of [0, 0.5, 1, 1.1, 1.5, 2, 3]) {
        for (const jitter of JITTERS) {
          const options = { maxAttempts: 12, initialDelay: { seconds: initial }, maxDelay: { seconds: max }, backoffRate, jitter };
          const both = new Both(`exponential ${JSON.stringify(options)}`, createRetryStrategy(options), retry.exponential(options));
          for (const attempts of range(1, 13)) {
            for (const r of draws(jitter)) both.compare(report, error, attempts, r);
          }
        }
      }
    }
  }
  report.finish(20_000);
});

test("grid: Duration shapes (durationToSeconds)", () => {
  const report = new GridReport("durations");
  const error = new Error("boom");
  const durations = [
    { seconds: 1.7 },
    { seconds: 2.5 },
    { minutes: 0.5 },
    { minutes: 0.01 },
    { minutes: 0.05 },
    { hours: 1, minutes: 1, seconds: 1 },
    { days: 0.001 },
    { hours: 0.0001 },
    {},
    { seconds: 0 },
  ];
  for (const initialDelay of durations) {
    for (const maxDelay of [{ minutes: 5 }, { seconds: 2 }, { hours: 1 }, { days: 1, seconds: -86399 }]) {
      for (const jitter of JITTERS) {
        const options = { maxAttempts: 8, initialDelay, maxDelay, backoffRate: 1.5, jitter };
        const both = new Both(`durations ${JSON.stringify(options)}`, createRetryStrategy(options), retry.exponential(options));
        for (const attempts of range(1, 9)) {
          for (const r of draws(jitter)) both.compare(report, error, attempts, r);
        }
      }
    }
  }
  report.finish(2_000);
});

test("grid: linear", () => {
  const report = new GridReport("linear");
  const error = new TypeError("slow");
  for (const initial of [0, 1, 2.5, 10]) {
    for (const increment of [0, 1, 3, 7.5]) {
      for (const max of [5, 300]) {
        for (const jitter of JITTERS) {
          const options = {
            maxAttempts: 8,
            initialDelay: { seconds: initial },
            increment: { seconds: increment },
            maxDelay: { seconds: max },
            jitter,
          };
          const both = new Both(`linear ${JSON.stringify(options)}`, createLinearRetryStrategy(options), retry.linear(options));
          for (const attempts of range(1, 9)) {
            for (const r of draws(jitter)) both.compare(report, error, attempts, r);
          }
        }
      }
    }
  }
  report.finish(1_500);
});

test("grid: defaults and presets", () => {
  const report = new GridReport("defaults-and-presets");
  const error = new RangeError("reset by peer");
  const cases = [
    ["createRetryStrategy()", createRetryStrategy(), retry.exponential()],
    ["createRetryStrategy({})", createRetryStrategy({}), retry.exponential({})],
    ["createLinearRetryStrategy()", createLinearRetryStrategy(), retry.linear()],
    ["retryPresets.default", retryPresets.default, retry.preset("default")],
    ["retryPresets.noRetry", retryPresets.noRetry, retry.preset("noRetry")],
    ["retryPresets.linear", retryPresets.linear, retry.preset("linear")],
  ];
  assert.deepEqual(Object.keys(retryPresets).sort(), ["default", "linear", "noRetry"]);
  for (const [label, sdk, config] of cases) {
    const both = new Both(label, sdk, config);
    for (const attempts of range(1, 12)) {
      for (const r of RANDOMS) both.compare(report, error, attempts, r);
    }
  }
  report.finish(300);
});

class ServiceError extends Error {}
class ThrottlingError extends ServiceError {}
class Unrelated extends Error {}

const FILTERS = [
  ["unset/unset", undefined, undefined],
  ["errors []", [], undefined],
  ["types []", undefined, []],
  ["both []", [], []],
  ["'timeout'", ["timeout"], undefined],
  ["''", [""], undefined],
  ["'Timeout'", ["Timeout"], undefined],
  ["/time.?out/", [/time.?out/], undefined],
  ["/^timeout/", [/^timeout/], undefined],
  ["/THROTTL/i", [/THROTTL/i], undefined],
  ["/5\\d\\d/", [/5\d\d/], undefined],
  ["/later$/", [/later$/], undefined],
  ["/a.b/", [/a.b/], undefined],
  ["/a.b/s", [/a.b/s], undefined],
  ["/caf\\u00e9/u", [/caf\u00e9/u], undefined],
  ["/(?:reset|refused) by/", [/(?:reset|refused) by/], undefined],
  ["/^$/", [/^$/], undefined],
  ["/\\s{2,}/", [/\s{2,}/], undefined],
  ["types [TypeError]", undefined, [TypeError]],
  ["types [RangeError, SyntaxError]", undefined, [RangeError, SyntaxError]],
  ["types [ServiceError]", undefined, [ServiceError]],
  ["types [Error]", undefined, [Error]],
  ["'throttl' or [ServiceError]", ["throttl"], [ServiceError]],
  ["[] or [TypeError]", [], [TypeError]],
  ["/^request/i or [Unrelated]", [/^request/i], [Unrelated]],
];
const ERRORS = [
  () => new Error("boom"),
  () => new TypeError("connection timeout"),
  () => new Error("Timeout"),
  () => new RangeError("reset by peer"),
  () => new ThrottlingError("Request throttled"),
  () => new ServiceError("HTTP status 503"),
  () => new Error("try again later\n"),
  () => new Error("a\nb"),
  () => new Error(""),
  () => new Unrelated("connection time-out"),
  () => new SyntaxError("caf\u00e9 closed"),
  () => new Error("two  spaces"),
];

test("grid: error filters", () => {
  const report = new GridReport("filters");
  for (const [label, retryableErrors, retryableErrorTypes] of FILTERS) {
    for (const makeError of ERRORS) {
      const common = { maxAttempts: 3, jitter: JitterStrategy.FULL };
      const filters = {};
      if (retryableErrors !== undefined) filters.retryableErrors = retryableErrors;
      if (retryableErrorTypes !== undefined) filters.retryableErrorTypes = retryableErrorTypes;
      const both = new Both(
        `filter ${label}`,
        createRetryStrategy({ ...common, ...filters }),
        retry.exponential({ ...common, ...filters }),
        createRetryStrategy(common),
      );
      for (const attempts of [1, 2, 3]) {
        for (const r of [0, 0.5, 0.999]) both.compare(report, makeError(), attempts, r);
      }
    }
  }
  report.finish(2_000);
});

test("grid: error filters on the linear strategy", () => {
  const report = new GridReport("linear-filters");
  for (const [label, retryableErrors, retryableErrorTypes] of FILTERS) {
    for (const makeError of ERRORS) {
      const common = { maxAttempts: 4, jitter: JitterStrategy.HALF };
      const filters = {};
      if (retryableErrors !== undefined) filters.retryableErrors = retryableErrors;
      if (retryableErrorTypes !== undefined) filters.retryableErrorTypes = retryableErrorTypes;
      const both = new Both(
        `linear filter ${label}`,
        createLinearRetryStrategy({ ...common, ...filters }),
        retry.linear({ ...common, ...filters }),
        createLinearRetryStrategy(common),
      );
      for (const attempts of [1, 3, 4]) both.compare(report, makeError(), attempts, 0.4);
    }
  }
  report.finish(900);
});

test("grid: large attempt numbers", () => {
  const report = new GridReport("large-attempts");
  const error = new Error("boom");
  for (const initial of [1, 5]) {
    for (const backoffRate of [2, 3, 10, 1.5]) {
      for (const jitter of JITTERS) {
        const options = { maxAttempts: 100_000, initialDelay: { seconds: initial }, maxDelay: { seconds: 600 }, backoffRate, jitter };
        const both = new Both(`large ${JSON.stringify(options)}`, createRetryStrategy(options), retry.exponential(options));
        for (const attempts of [30, 64, 1000, 1024, 1025, 1100, 5000, 99_999, 100_000]) {
          for (const r of draws(jitter)) both.compare(report, error, attempts, r);
        }
      }
    }
  }
  report.finish(500);
});

// ---------------------------------------------------------------------------- documented divergences

test("divergence: initial delay 0 with an overflowing rate is 1 s, not NaN", () => {
  const options = { maxAttempts: 100_000, initialDelay: { seconds: 0 }, backoffRate: 2, jitter: JitterStrategy.NONE };
  const sdk = drawing(0.5, () => createRetryStrategy(options)(new Error("x"), 1100));
  assert.ok(Number.isNaN(sdk.delay.seconds), "the SDK computes 0 * Infinity");
  const core = retry.createStrategy(retry.exponential(options), { profile: "ts" });
  assert.deepEqual(core.decide(new Error("x"), 1100, { random: 0.5 }), { outcome: "retry", delaySeconds: 1, shouldRetry: true });
});

test("divergence: error types are matched by class name, not identity", () => {
  // Two different classes both named Twin: one class to durable-core, two to the SDK.
  const First = namedClass("Twin", Error);
  const Second = namedClass("Twin", Error);
  assert.notEqual(First, Second);
  const sdk = createRetryStrategy({ retryableErrorTypes: [First] });
  assert.equal(drawing(0.5, () => sdk(new Second("x"), 1)).shouldRetry, false);
  const core = retry.createStrategy(retry.exponential({ retryableErrorTypes: [First] }), { profile: "ts" });
  assert.equal(core.decide(new Second("x"), 1, { random: 0.5 }).shouldRetry, true);
});

test("divergence: a cross-realm Error is decided as the SDK's step handler presents it", () => {
  // The step handler gives strategies `error instanceof Error ? error : new Error("Unknown Error")`,
  // and durable-core's decide() does the same. Called directly, the SDK's own strategy reads the
  // foreign error's message and fails its instanceof check instead.
  const foreign = vm.runInNewContext('new Error("connection timeout")');
  assert.equal(foreign instanceof Error, false);
  const options = { retryableErrors: ["timeout"], jitter: JitterStrategy.NONE };
  const sdk = createRetryStrategy(options);
  assert.equal(drawing(0.5, () => sdk(foreign, 1)).shouldRetry, true);
  assert.equal(drawing(0.5, () => sdk(new Error("Unknown Error"), 1)).shouldRetry, false);
  const core = retry.createStrategy(retry.exponential(options), { profile: "ts" });
  assert.equal(core.decide(foreign, 1).outcome, "not-retryable");
});
