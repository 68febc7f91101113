// What @aws/durable-execution-sdk-js 2.4.0 does for one `invocation` vector case.
//
// A case (format: tests/evidence/README.md, "Invocation vectors") is one Lambda invocation of a
// durable function: the envelope, the statements the user's handler runs and the answers the
// service gives. This module runs the case on the released SDK and records every service call it
// makes and what the invocation returned, so the expectation is the SDK's behaviour.
//
// How a case is driven:
// * `withDurableExecution(handler, { client })`: the SDK's own Lambda transport
//   (DurableExecutionApiClient) over a real @aws-sdk/client-lambda LambdaClient with the AWS
//   SDK's default retries (standard mode, 3 attempts; an answer holds for every attempt of its
//   call) whose request handler never opens a socket: each answer of the case becomes an HTTP response
//   (status, x-amzn-errortype header, JSON body) that the AWS SDK parses as it would parse the
//   service's. An answer with a null status makes the handler throw a socket error
//   (ECONNRESET), as node's HTTP handler does on a reset connection.
// * Every call is recorded by a middleware at the `initialize` step, from the command input the
//   durable SDK built: checkpoint = CheckpointToken + JSON.stringify(update) for each update (the
//   step capture's form, before the AWS SDK re-serialises them); get-state = CheckpointToken +
//   Marker (MaxItems must be 1000).
// * Statements: `context.step` (pass-through serdes; the attempt's outcome is chosen from
//   stepContext.attempt), `context.wait`, `context.runInChildContext` (pass-through serdes),
//   `concurrent` = Promise.all of async branch functions. User functions return at once.
// * Clock and random: Date.now() returns `now_ms`, Math.random() returns `random`, for the whole
//   run.
// * Every run is bounded (RUN_TIMEOUT_MS): an SDK still running then is reported as a timeout.
//
// Run from the repository root:
//   node tests/evidence/invocation_capture.mjs [--vectors FILE]      # DIFF lines
//   node tests/evidence/invocation_capture.mjs --emit FILE            # write expectations

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { abbreviate, expand } from "./repeat-markers.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "..", "..");
export const VECTORS = join(REPO, "tests", "vectors", "invocation.json");
const CLASSIFY = join(REPO, "tests", "vectors", "classify.json");
const requireFromHost = createRequire(join(REPO, "host-node", "package.json"));
const sdk = await import(pathToFileURL(requireFromHost.resolve("@aws/durable-execution-sdk-js")).href);
const lambda = await import(pathToFileURL(requireFromHost.resolve("@aws-sdk/client-lambda")).href);
const { withDurableExecution, StepSemantics, DurableOperationError } = sdk;
const { retryStrategy, errorClass } = await import("./step_capture.mjs");

export const DEFAULT_NOW_MS = 1_700_000_000_000;
export const DEFAULT_RANDOM = 0.5;
export const RUN_TIMEOUT_MS = 10_000;
const LAMBDA_CONTEXT = {
  awsRequestId: "evidence", functionName: "evidence", getRemainingTimeInMillis: () => 600_000,
};

export const tsId = (...path) => createHash("md5").update(path.join("-")).digest("hex").substring(0, 16);

export class NotDrivable extends Error {}

const passThrough = { serialize: async (v) => v, deserialize: async (s) => s };

// --- the scripted service -------------------------------------------------------------------

// An operation as the service's HTTP body carries it: timestamps in epoch seconds.
function httpOperation(op) {
  const out = structuredClone(op);
  for (const key of ["StartTimestamp", "EndTimestamp"]) {
    if (typeof out[key] === "number") out[key] /= 1000;
  }
  for (const [key, inner] of [["StepDetails", "NextAttemptTimestamp"], ["WaitDetails", "ScheduledEndTimestamp"]]) {
    if (out[key] && typeof out[key][inner] === "number") out[key][inner] /= 1000;
  }
  return out;
}

class ScriptedService {
  constructor(answers) {
    this.answers = answers;
    this.calls = [];
    this.problems = [];
    this.failedAnswers = [];
  }

  record(commandName, input) {
    if (commandName === "CheckpointDurableExecutionCommand") {
      this.calls.push({ api: "checkpoint", token: input.CheckpointToken,
        updates: (input.Updates ?? []).map((u) => JSON.stringify(u)) });
    } else if (commandName === "GetDurableExecutionStateCommand") {
      this.calls.push({ api: "get-state", token: input.CheckpointToken, marker: input.Marker });
      if (input.MaxItems !== 1000) this.problems.push(`get-state MaxItems ${input.MaxItems}`);
    } else {
      this.problems.push(`unexpected command ${commandName}`);
    }
  }

  respond() {
    const n = this.calls.length;
    const api = this.calls.at(-1)?.api;
    const answer = n <= this.answers.length ? this.answers[n - 1] : {};
    if (answer.api !== undefined && answer.api !== api) {
      this.problems.push(`call ${n} is a ${api} call, answer ${n} is for ${answer.api}`);
    }
    const json = (status, body, headers = {}) => ({
      statusCode: status,
      reason: undefined,
      headers: { "content-type": "application/json", ...headers },
      body: Readable.from([Buffer.from(body)]),
    });
    if (answer.fail) {
      const fail = answer.fail;
      this.failedAnswers.push({ api, ...fail });
      if (fail.status === null || fail.status === undefined) {
        const error = new Error("socket hang up");
        error.code = "ECONNRESET";
        throw error;
      }
      const headers = fail.code != null ? { "x-amzn-errortype": fail.code } : {};
      const body = {};
      if (fail.message != null) body.message = fail.message;
      if (fail.code != null) body.Type = "User";
      return json(fail.status, Object.keys(body).length ? JSON.stringify(body) : "", headers);
    }
    if (answer.unreadable) return json(200, "<html>oops");
    let body;
    if (api === "get-state") {
      const page = answer.page ?? {};
      body = { Operations: (page.operations ?? []).map(httpOperation) };
      if (page.next_marker != null) body.NextMarker = page.next_marker;
    } else if (answer.no_token) {
      body = { NewExecutionState: { Operations: [] } };
    } else {
      const ok = answer.ok ?? {};
      body = { CheckpointToken: ok.token ?? `token-${n}`,
        NewExecutionState: { Operations: (ok.operations ?? []).map(httpOperation) } };
    }
    return json(200, JSON.stringify(body));
  }

  client() {
    const client = new lambda.LambdaClient({
      region: "us-east-1",
      endpoint: "https://lambda.invalid",
      credentials: { accessKeyId: "evidence", secretAccessKey: "evidence" },
      requestHandler: { handle: async () => ({ response: this.respond() }) },
    });
    client.middlewareStack.add((next, context) => async (args) => {
      this.record(context.commandName, args.input);
      return next(args);
    }, { step: "initialize", name: "evidenceRecorder" });
    return client;
  }
}

// --- the user's handler ---------------------------------------------------------------------

function thrown(spec) {
  const cls = errorClass(spec.type, spec.types ?? [spec.type]);
  return new cls(spec.message ?? "");
}

function strategy(retry) {
  if (retry == null) return undefined;
  if (typeof retry.preset === "string") return retryStrategy({ preset: { name: retry.preset } });
  return retryStrategy(retry);
}

export async function runStatements(ctx, statements) {
  for (const statement of statements) {
    const [[kind, arg]] = Object.entries(statement);
    if (kind === "return") return arg ?? undefined;
    await run(ctx, kind, arg);
  }
  return undefined;
}

async function run(ctx, kind, arg) {
  if (kind === "step") {
    const attempts = arg.attempts;
    const fn = async (stepContext) => {
      const outcome = attempts[Math.min(stepContext.attempt, attempts.length) - 1];
      if (outcome.throw) throw thrown(outcome.throw);
      return outcome.payload ?? undefined;
    };
    const options = {
      semantics: arg.semantics === "at-most-once"
        ? StepSemantics.AtMostOncePerRetry : StepSemantics.AtLeastOncePerRetry,
      serdes: passThrough,
      retryStrategy: strategy(arg.retry),
    };
    try {
      if (arg.name === undefined) await ctx.step(fn, options);
      else await ctx.step(arg.name, fn, options);
    } catch (error) {
      if (!arg.catch || !(error instanceof DurableOperationError)) throw error;
    }
  } else if (kind === "wait") {
    if (arg.name === undefined) await ctx.wait({ seconds: arg.seconds });
    else await ctx.wait(arg.name, { seconds: arg.seconds });
  } else if (kind === "child") {
    const fn = async (child) => runStatements(child, arg.handler);
    try {
      if (arg.name === undefined) await ctx.runInChildContext(fn, { serdes: passThrough });
      else await ctx.runInChildContext(arg.name, fn, { serdes: passThrough });
    } catch (error) {
      if (!arg.catch || !(error instanceof DurableOperationError)) throw error;
    }
  } else if (kind === "concurrent") {
    await Promise.all(arg.map((branch) => (async () => { await runStatements(ctx, branch); })()));
  } else if (kind === "throw") {
    throw thrown(arg);
  } else {
    throw new NotDrivable(`unknown statement ${kind}`);
  }
}

// --- one invocation -------------------------------------------------------------------------

let classifyCases;
function classifyRule(profile, failed) {
  classifyCases ??= JSON.parse(readFileSync(CLASSIFY, "utf8")).cases;
  for (const c of classifyCases) {
    const i = c.input;
    if (i.profile === profile && i.api === failed.api && i.status === (failed.status ?? null) &&
        i.code === (failed.code ?? null) && i.message === (failed.message ?? null) && c.expected.rule) {
      return c.expected;
    }
  }
  return null;
}

export async function capture(rawInput) {
  if (rawInput.profile !== "ts") throw new NotDrivable("not a ts-profile case");
  const input = expand(rawInput);
  const nowMs = input.now_ms ?? DEFAULT_NOW_MS;
  const random = input.random ?? DEFAULT_RANDOM;
  const service = new ScriptedService(input.service ?? []);
  // The root's `return` payload is what JSON.stringify of the handler's value must give.
  const handler = withDurableExecution(async (_event, ctx) => {
    const value = await runStatements(ctx, input.handler ?? []);
    return value === undefined ? undefined : JSON.parse(value);
  }, { client: service.client() });
  const realNow = Date.now;
  const realRandom = Math.random;
  Date.now = () => nowMs;
  Math.random = () => random;
  // Quiets console.* only: the SDK's own structured logger writes failed calls to stdout through
  // its own Console, which is left alone (the test runner reports through the same stdout).
  const quiet = ["log", "info", "warn", "error", "debug"].map((k) => [k, console[k]]);
  for (const [k] of quiet) console[k] = () => {};
  let timer;
  const result = {};
  try {
    const timeout = new Promise((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout({ timeout: true }), RUN_TIMEOUT_MS);
    });
    const run = handler(structuredClone(input.envelope), LAMBDA_CONTEXT)
      .then((output) => ({ output }), (error) => ({ raised: error }));
    Object.assign(result, await Promise.race([run, timeout]));
  } finally {
    clearTimeout(timer);
    Date.now = realNow;
    Math.random = realRandom;
    for (const [k, f] of quiet) console[k] = f;
  }
  const out = { calls: service.calls };
  if (result.timeout) {
    out.output = null;
    out.timeout = true;
  } else if ("raised" in result) {
    out.output = null;
    const error = { category: "INVOCATION" };
    const last = service.failedAnswers.at(-1);
    if (last) {
      const expected = classifyRule("ts", last);
      if (expected?.category === "INVOCATION") error.rule = expected.rule;
    }
    out.invocation_error = error;
    out.raised = `${result.raised?.name}: ${result.raised?.message}`;
  } else {
    out.output = JSON.parse(JSON.stringify(result.output));
  }
  if (service.problems.length) out.problems = service.problems;
  return out;
}

export function expectation(result) {
  if (result.problems) throw new Error(`capture not usable: ${JSON.stringify(result).slice(0, 2000)}`);
  const expected = { calls: result.calls, output: result.output };
  if (result.timeout) {
    // Lambda ends a timed-out invocation as failed and retries it: an invocation error.
    expected.invocation_error = { category: "INVOCATION" };
    expected.timeout = true;
  } else if (result.output === null) expected.invocation_error = result.invocation_error;
  return abbreviate(expected);
}

export async function compare(testCase) {
  const result = await capture(testCase.input);
  if (result.problems) return result.problems.join("; ");
  const got = expectation(result);
  // A deliberate divergence keeps what the SDK does in `sdk_expected`; `expected` is ours.
  const want = abbreviate(expand(testCase.sdk_expected ?? testCase.expected ?? {}));
  const problems = [];
  for (const key of ["calls", "output", "invocation_error", "timeout"]) {
    if (JSON.stringify(got[key]) !== JSON.stringify(want[key])) {
      problems.push(`${key}: SDK ${JSON.stringify(got[key])?.slice(0, 2000)}, vector ${JSON.stringify(want[key])?.slice(0, 2000)}`);
    }
  }
  return problems.length ? problems.join("; ") : null;
}

export function tsCases(doc) {
  return doc.cases.filter((c) => c.input?.profile === "ts" && !(c.expected && "error" in c.expected));
}

async function main(argv) {
  const emitAt = argv.indexOf("--emit");
  const vectorsAt = argv.indexOf("--vectors");
  const onlyAt = argv.indexOf("--only");
  const path = emitAt >= 0 ? argv[emitAt + 1] : vectorsAt >= 0 ? argv[vectorsAt + 1] : VECTORS;
  const only = onlyAt >= 0 ? argv[onlyAt + 1] : null;
  const doc = JSON.parse(readFileSync(path, "utf8"));
  let driven = 0;
  let failures = 0;
  for (const c of tsCases(doc)) {
    if (only && !c.name.includes(only)) continue;
    driven += 1;
    if (emitAt >= 0) {
      const runs = [];
      for (let i = 0; i < 3; i += 1) runs.push(await capture(c.input));
      const first = JSON.stringify(runs[0]);
      if (runs.some((r) => JSON.stringify(r) !== first)) {
        failures += 1;
        c.unstable = true;
        console.error(`UNSTABLE ${c.name}`);
        continue;
      }
      try {
        c[c.divergence ? "sdk_expected" : "expected"] = expectation(runs[0]);
      } catch (error) {
        failures += 1;
        c.unusable = true;
        console.error(`UNUSABLE ${c.name}: ${error.message}`);
      }
      continue;
    }
    const problem = await compare(c);
    if (problem) {
      failures += 1;
      console.error(`DIFF ${c.name}: ${problem}`);
    }
  }
  if (emitAt >= 0) writeFileSync(path, `${JSON.stringify(doc, null, 1)}\n`);
  console.error(`ts: ${driven} driven, ${failures} differ/unstable`);
  return failures ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
