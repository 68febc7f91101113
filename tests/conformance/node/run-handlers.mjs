#!/usr/bin/env node
// Runs conformance handlers on @aws/durable-execution-sdk-js 2.4.0 with
// @aws/durable-execution-sdk-js-testing 1.1.4's LocalDurableTestRunner (skipTime) and prints, as one
// JSON document, each case's history (getHistoryEvents()), status and raw result, for the Python
// harness (tests/conformance/harness/drivers/node_sdk.py) to judge with the official matcher.
//
//   node run-handlers.mjs RESULTS.json [skip|real] < cases.json
//   cases.json: {"cases": [{"key", "id", "input", "strategy": "durable-core" | "sdk", "seed"}]}
//
// The results go to the file named by the argument, because the SDK's durable logger writes the
// handlers' log records (JSON lines) to stdout. The clock is the runner's: `skip` (default) is
// setupTestEnvironment({skipTime: true}), `real` uses real timers.
//
// The packages are host-node's own (no separate npm install): the SDK and the testing runner are
// loaded from host-node/node_modules by their ESM entry, durable-core from host-node/src, so all
// three share one instance of the SDK.

import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { CRASH_CASES, handlers, sdkShapedStrategies, seededDraws } from "./handlers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const hostNode = path.resolve(here, "../../../host-node");
const realSetTimeout = globalThis.setTimeout; // captured before the runner installs fake timers
const realClearTimeout = globalThis.clearTimeout;
const CASE_TIMEOUT_MS = 60_000;

function packageInfo(name) {
  const dir = path.join(hostNode, "node_modules", name);
  const meta = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
  return { dir, meta, entry: path.join(dir, meta.exports["."].import) };
}

async function loadPackage(name) {
  const info = packageInfo(name);
  return { module: await import(pathToFileURL(info.entry).href), version: info.meta.version };
}

async function coreStrategies() {
  const core = await import(pathToFileURL(path.join(hostNode, "src/index.js")).href);
  const { aws, retry } = core;
  if (typeof aws?.createRetryStrategy !== "function" || typeof retry?.exponential !== "function"
      || typeof retry?.preset !== "function") {
    throw new Error("host-node does not export aws.createRetryStrategy, retry.exponential and retry.preset yet");
  }
  const make = (config) => aws.createRetryStrategy(config, { profile: "ts" });
  return {
    name: "durable-core",
    default: () => make(retry.preset("default")),
    none: () => make(retry.preset("noRetry")),
    exponential: ({ maxAttempts, initialDelaySeconds, backoffRate, jitter, retryableErrorTypes }) =>
      make(retry.exponential({
        maxAttempts,
        initialDelay: { seconds: initialDelaySeconds },
        jitter,
        ...(backoffRate !== undefined ? { backoffRate } : {}),
        ...(retryableErrorTypes !== undefined ? { retryableErrorTypes } : {}),
      })),
  };
}

function describeError(error) {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

async function runCase(runtime, strategies, job) {
  const { sdk, LocalDurableTestRunner } = runtime;
  const facts = { invocations: 0, crashed_invocations: 0 };
  let crashInvocation = null;
  const crash = (reason) => {
    facts.crashed_invocations += 1;
    crashInvocation?.(reason);
    return new Promise(() => {}); // the step never finishes: no checkpoint after the crash
  };
  const body = handlers(strategies, { crash })[job.id];
  if (body === undefined) return { key: job.key, unsupported: `no node-sdk handler for ${job.id}` };
  const durable = sdk.withDurableExecution(body);
  const lambdaHandler = async (event, context) => {
    facts.invocations += 1;
    const crashed = new Promise((_resolve, reject) => {
      crashInvocation = (reason) => {
        const error = new Error(reason);
        error.name = "Runtime.ExitError";
        reject(error);
      };
    });
    return Promise.race([durable(event, context), crashed]);
  };

  const savedRandom = Math.random;
  Math.random = seededDraws(job.seed);
  let timer;
  try {
    const runner = new LocalDurableTestRunner({ handlerFunction: lambdaHandler });
    const timeout = new Promise((_resolve, reject) => {
      timer = realSetTimeout(() => reject(new Error(`no result within ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
    });
    const result = await Promise.race([runner.run({ payload: job.input }), timeout]);
    const status = result.getStatus() ?? null;
    let raw = null;
    if (status === "SUCCEEDED") {
      const value = result.getResult();
      raw = value === undefined ? null : JSON.stringify(value);
    }
    return { key: job.key, events: result.getHistoryEvents(), status, result: raw, facts };
  } catch (error) {
    return { key: job.key, rejected: describeError(error), facts };
  } finally {
    realClearTimeout(timer);
    Math.random = savedRandom;
  }
}

async function main() {
  const [out, clock = "skip"] = process.argv.slice(2);
  if (!out || !["skip", "real"].includes(clock)) {
    throw new Error("usage: node run-handlers.mjs RESULTS.json [skip|real] < cases.json");
  }
  const request = JSON.parse(readFileSync(0, "utf8"));
  const sdkPackage = await loadPackage("@aws/durable-execution-sdk-js");
  const testingPackage = await loadPackage("@aws/durable-execution-sdk-js-testing");
  const runtime = { sdk: sdkPackage.module, LocalDurableTestRunner: testingPackage.module.LocalDurableTestRunner };
  const providers = { sdk: sdkShapedStrategies("sdk", runtime.sdk) };
  let coreUnavailable = null;
  try {
    providers["durable-core"] = await coreStrategies();
  } catch (error) {
    coreUnavailable = describeError(error);
  }

  await runtime.LocalDurableTestRunner.setupTestEnvironment({ skipTime: clock === "skip" });
  const results = [];
  // Crash cases last: their invocation never finishes, so nothing may run after them in this
  // process but other crash cases.
  const jobs = [...request.cases].sort((a, b) => Number(CRASH_CASES.has(a.id)) - Number(CRASH_CASES.has(b.id)));
  for (const job of jobs) {
    const strategies = providers[job.strategy];
    if (strategies === undefined) {
      results.push({ key: job.key, unsupported: coreUnavailable ?? `unknown strategy ${job.strategy}` });
      continue;
    }
    const started = Date.now(); // the runner's clock: skipped time included
    const outcome = await runCase(runtime, strategies, job);
    outcome.facts = { ...outcome.facts, clock_advanced_ms: Date.now() - started };
    results.push(outcome);
  }
  await runtime.LocalDurableTestRunner.teardownTestEnvironment();
  writeFileSync(out, JSON.stringify({
    versions: {
      node: process.version,
      "@aws/durable-execution-sdk-js": sdkPackage.version,
      "@aws/durable-execution-sdk-js-testing": testingPackage.version,
    },
    results,
  }));
}

main().then(
  () => process.exit(0), // crash cases leave never-settling work behind
  (error) => {
    process.stderr.write(`run-handlers: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
