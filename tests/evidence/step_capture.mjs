// What @aws/durable-execution-sdk-js 2.4.0 really does for one `step` vector case.
//
// Every `ts`-profile case of suite `step` describes one call of durable-core's step state
// machine (`begin`: what a step call does given its checkpointed operation; `complete`: what it
// sends after the user function returned or threw). This module turns such a case into a real
// invocation of the released SDK and records what the SDK did, so the vector's expectation can
// be derived from, and checked against, the SDK instead of durable-core's code.
//
// How a case is driven:
// * `withDurableExecution(handler, {durableExecutionClient})` with a client object implementing
//   the SDK's public DurableExecutionClient interface. Every `checkpoint` call's `Updates` are
//   recorded as `JSON.stringify(update)`. The fake applies updates like the service (START ->
//   STARTED, SUCCEED/FAIL/RETRY -> SUCCEEDED/FAILED/PENDING with Attempt + 1, RETRY sets
//   NextAttemptTimestamp = now + delay) and answers with the new operation state.
// * `begin`: the request's `operation` (plus `Id`, and the request's `parent_id` when it has
//   none) goes into InitialExecutionState. `complete`: attempt 1 starts with no operation; attempt
//   N > 1 from a READY operation with Attempt N - 1, so the SDK runs attempt N.
// * The step is the root's first operation (id md5("1")[:16]) or, with a `parent_id`, the first
//   operation of an unnamed child context that is the root's first operation (md5("1-1")[:16]).
// * The step uses a pass-through serdes, so a payload string is exactly the SDK's `Payload`.
//   `random` is what Math.random() returns; Date.now() runs from `now_ms`.
// * The step function records `stepContext.attempt`. For a START the fake holds the checkpoint
//   call until the function has started (or START_GATE_MS passed): a function that starts only
//   after START was persisted shows that the SDK awaited START.
// * Payload limit: the fake rejects a SUCCEED whose Payload is longer than 262144 UTF-8 bytes
//   with the service's 400 InvalidParameterValueException (an emulation of the service rule; the
//   SDK's reaction is what is measured). Rejected updates are not "sent".
//
// Run as a script to print what the SDK does for every ts case of tests/vectors/step.json:
//   node tests/evidence/step_capture.mjs [--vectors FILE] [--emit]

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "..", "..");
export const STEP_VECTORS = join(REPO, "tests", "vectors", "step.json");
const requireFromHost = createRequire(join(REPO, "host-node", "package.json"));
export const sdk = await import(
  pathToFileURL(requireFromHost.resolve("@aws/durable-execution-sdk-js")).href
);
const { withDurableExecution, StepSemantics, retryPresets, createRetryStrategy,
  createLinearRetryStrategy, JitterStrategy, DurableOperationError } = sdk;

const ARN = "arn:aws:lambda:us-east-1:123456789012:function:evidence:$LATEST/durable-execution/run/exec-1";
const EXECUTION_OP = {
  Id: "exec-1", Type: "EXECUTION", Status: "STARTED", ExecutionDetails: { InputPayload: "{}" },
};
const PAYLOAD_LIMIT_BYTES = 262_144;
const PAYLOAD_TOO_LARGE = "STEP output payload size must be less than or equal to 262144 bytes.";
const START_GATE_MS = 1500;
const RUN_TIMEOUT_MS = 15_000;
const LAMBDA_CONTEXT = {
  awsRequestId: "evidence", functionName: "evidence", getRemainingTimeInMillis: () => 600_000,
};

// Only used to name the positions; the SDK's ids are what the runs observe.
const md5_16 = (s) => createHash("md5").update(s).digest("hex").substring(0, 16);
export const ROOT_ID_1 = md5_16("1");
export const CHILD_ID_1 = md5_16("1-1");

export class NotDrivable extends Error {}

const passThrough = { serialize: async (v) => v, deserialize: async (s) => s };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- the fake service -----------------------------------------------------------------------

class FakeService {
  constructor(operations, stepId, fnStarted) {
    this.ops = new Map(operations.map((op) => [op.Id, structuredClone(op)]));
    this.stepId = stepId;
    this.fnStarted = fnStarted;
    this.sent = []; // [update, accepted]
    this.events = [];
    this.emptyCheckpoints = 0;
    this.calls = 0;
  }

  client() {
    return {
      getExecutionState: async () => ({ Operations: [] }),
      checkpoint: async (params) => this.checkpoint(params),
    };
  }

  async checkpoint({ Updates: updates = [] }) {
    this.calls += 1;
    if (updates.length === 0) this.emptyCheckpoints += 1;
    for (const u of updates) {
      if (u.Type === "STEP" && u.Action === "SUCCEED" &&
          Buffer.byteLength(u.Payload ?? "", "utf8") > PAYLOAD_LIMIT_BYTES) {
        for (const each of updates) this.sent.push([JSON.stringify(each), false, each]);
        const error = new Error(PAYLOAD_TOO_LARGE);
        error.name = "InvalidParameterValueException";
        error.$metadata = { httpStatusCode: 400 };
        throw error;
      }
    }
    const starts = updates.some((u) => u.Action === "START" && u.Id === this.stepId);
    if (starts) await Promise.race([this.fnStarted.promise, sleep(START_GATE_MS)]);
    const changed = [];
    for (const u of updates) {
      this.sent.push([JSON.stringify(u), true, u]);
      changed.push(this.apply(u));
    }
    if (starts) this.events.push("start-persisted");
    return {
      CheckpointToken: `token-${this.calls}`,
      NewExecutionState: { Operations: changed.map((op) => this.shape(op)) },
    };
  }

  apply(u) {
    let op = this.ops.get(u.Id);
    if (!op) {
      op = { Id: u.Id, Type: u.Type };
      for (const k of ["ParentId", "Name", "SubType"]) if (u[k] !== undefined) op[k] = u[k];
      this.ops.set(u.Id, op);
    }
    const key = u.Type === "STEP" ? "StepDetails" : "ContextDetails";
    op[key] ??= {};
    const d = op[key];
    if (u.Action === "START") op.Status = "STARTED";
    if (u.Action === "SUCCEED") {
      op.Status = "SUCCEEDED";
      if (u.Payload !== undefined) d.Result = u.Payload;
    }
    if (u.Action === "FAIL") { op.Status = "FAILED"; d.Error = u.Error; }
    if (u.Action === "RETRY") {
      op.Status = "PENDING";
      d.Error = u.Error;
      d.NextAttemptTimestamp = Date.now() + u.StepOptions.NextAttemptDelaySeconds * 1000;
    }
    if (u.Type === "STEP" && ["SUCCEED", "FAIL", "RETRY"].includes(u.Action)) {
      d.Attempt = (d.Attempt ?? 0) + 1;
    }
    return op;
  }

  // As the AWS SDK returns it: timestamps as Dates.
  shape(op) {
    const copy = structuredClone(op);
    const ts = copy.StepDetails?.NextAttemptTimestamp;
    if (typeof ts === "number") copy.StepDetails.NextAttemptTimestamp = new Date(ts);
    return copy;
  }
}

// --- the user's side of a case --------------------------------------------------------------

const BUILTIN_ERRORS = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };
const DURABLE_ERRORS = ["StepError", "CallbackError", "CallbackExternalError", "CallbackTimeoutError",
  "CallbackSubmitterError", "InvokeError", "ChildContextError", "WaitForConditionError",
  "PromiseCombinatorError"];
const customClasses = new Map();

export function errorClass(name, chain = [name]) {
  if (BUILTIN_ERRORS[name]) return BUILTIN_ERRORS[name];
  if (customClasses.has(name)) return customClasses.get(name);
  const baseName = chain.slice(1).find((n) => n !== "Object");
  const Base = baseName ? errorClass(baseName, chain.slice(chain.indexOf(baseName))) : Error;
  const cls = { [name]: class extends Base {} }[name];
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
  customClasses.set(name, cls);
  return cls;
}

function buildThrown(failure) {
  const { error_type: type, message, data } = failure;
  if (type == null && message == null) return "a thrown string"; // not an Error: no name, no message
  if (type == null) throw new NotDrivable("a JS Error always has a name");
  if (message == null) throw new NotDrivable("a JS Error always has a message (\"\" at least)");
  if (failure.unrecoverable) {
    const e = new (errorClass(type, failure.error_types ?? [type]))(message);
    e.isUnrecoverable = true;
    e.terminationReason = "CUSTOM";
    return e;
  }
  if (DURABLE_ERRORS.includes(type)) return new sdk[type](message, undefined, data ?? undefined);
  if (data != null) throw new NotDrivable("only a DurableOperationError carries data the SDK records");
  return new (errorClass(type, failure.error_types ?? [type]))(message);
}

export function retryStrategy(retry) {
  if (retry == null) return undefined;
  if (retry.preset != null) {
    const byName = { default: "default", "no-retry": "noRetry", linear: "linear" };
    const key = byName[retry.preset.name];
    if (!key) throw new NotDrivable(`the JS SDK has no ${retry.preset.name} preset`);
    return retryPresets[key];
  }
  const c = retry.config ?? {};
  const config = {};
  if (c.max_attempts != null) config.maxAttempts = c.max_attempts;
  if (c.initial_delay_seconds != null) config.initialDelay = { seconds: c.initial_delay_seconds };
  if (c.max_delay_seconds != null) config.maxDelay = { seconds: c.max_delay_seconds };
  if (c.backoff_rate != null) config.backoffRate = c.backoff_rate;
  if (c.increment_seconds != null) config.increment = { seconds: c.increment_seconds };
  if (c.jitter != null) config.jitter = JitterStrategy[c.jitter];
  if (c.retryable_errors != null) {
    config.retryableErrors = c.retryable_errors.map((p) => {
      if (p.syntax === "substring") return p.source;
      if (p.syntax === "js-regex") return new RegExp(p.source, p.flags ?? "");
      throw new NotDrivable("a Python regex has no JS SDK equivalent");
    });
  }
  if (c.retryable_error_types != null) {
    config.retryableErrorTypes = c.retryable_error_types.map((n) => errorClass(n));
  }
  return (c.backoff ?? "exponential") === "linear"
    ? createLinearRetryStrategy(config)
    : createRetryStrategy(config);
}

// --- one invocation -------------------------------------------------------------------------

export async function observe(testCase) {
  const { phase, request } = testCase.input;
  if (request === null || typeof request !== "object") {
    throw new NotDrivable("the request is not JSON the SDK could receive");
  }
  if (request.profile !== "ts") throw new NotDrivable("not a ts-profile case");
  const stepId = request.id;
  const parentId = request.parent_id ?? null;
  if (parentId === null && stepId !== ROOT_ID_1) {
    throw new NotDrivable("the id is not the SDK's id of the root's first operation");
  }
  if (parentId !== null && (parentId !== ROOT_ID_1 || stepId !== CHILD_ID_1)) {
    throw new NotDrivable("the ids are not the SDK's ids of a child context's first operation");
  }
  const semantics = request.semantics === "AT_MOST_ONCE_PER_RETRY"
    ? StepSemantics.AtMostOncePerRetry
    : StepSemantics.AtLeastOncePerRetry;
  if (request.semantics != null && !["AT_MOST_ONCE_PER_RETRY", "AT_LEAST_ONCE_PER_RETRY"].includes(request.semantics)) {
    throw new NotDrivable("unknown semantics");
  }
  const name = request.name ?? undefined;
  const nowMs = request.now_ms;
  const random = request.random ?? 0;
  const strategy = retryStrategy(request.retry);

  const operations = [EXECUTION_OP];
  if (parentId !== null) {
    operations.push({ Id: parentId, Type: "CONTEXT", SubType: "RunInChildContext", Status: "STARTED" });
  }
  let outcome;
  if (phase === "begin") {
    if (request.operation != null) {
      const op = { Id: stepId, ...request.operation };
      if (parentId !== null && !("ParentId" in op)) op.ParentId = parentId;
      operations.push(op);
    }
  } else {
    outcome = request.outcome;
    if (request.attempt > 1) {
      const ready = { Id: stepId, Type: "STEP", SubType: "Step", Status: "READY",
        StepDetails: { Attempt: request.attempt - 1 } };
      if (name !== undefined) ready.Name = name;
      if (parentId !== null) ready.ParentId = parentId;
      operations.push(ready);
    }
    if (outcome.failure) buildThrown(outcome.failure);
  }

  let signal;
  const fnStarted = { promise: new Promise((r) => { signal = r; }) };
  const fake = new FakeService(operations, stepId, fnStarted);
  const obs = {
    ranAttempt: null, startSent: false, startUpdates: [], startAwaited: false, beforeFn: [], afterFn: [],
    rejected: [], step: null, output: null, emptyCheckpoints: 0,
  };
  let mark = 0;
  const stepUpdates = (entries) => entries
    .filter(([, ok, u]) => ok && u.Id === stepId && u.Action !== "START")
    .map(([json]) => json);

  const userFunction = async (stepContext) => {
    obs.ranAttempt = stepContext.attempt;
    obs.startAwaited = fake.events.includes("start-persisted");
    fake.events.push("function");
    obs.beforeFn = stepUpdates(fake.sent);
    mark = fake.sent.length;
    signal();
    if (outcome === undefined) return "begin-phase-placeholder";
    if (outcome.success) return outcome.success.payload ?? undefined;
    throw buildThrown(outcome.failure);
  };

  const callStep = async (ctx) => {
    const options = { semantics, serdes: passThrough, retryStrategy: strategy };
    try {
      const value = name === undefined
        ? await ctx.step(userFunction, options)
        : await ctx.step(name, userFunction, options);
      obs.step = { returned: value };
      return "done";
    } catch (error) {
      obs.step = { raised: error };
      throw error;
    }
  };
  const handler = withDurableExecution(async (_event, ctx) => (
    parentId === null ? callStep(ctx) : ctx.runInChildContext(async (child) => callStep(child))
  ), { durableExecutionClient: fake.client() });

  const realNow = Date.now;
  const realRandom = Math.random;
  const t0 = realNow.call(Date);
  Date.now = () => nowMs + (realNow.call(Date) - t0);
  Math.random = () => random;
  let timer;
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("the SDK did not finish")), RUN_TIMEOUT_MS);
    });
    const event = { DurableExecutionArn: ARN, CheckpointToken: "token-0",
      InitialExecutionState: { Operations: operations } };
    try {
      obs.output = await Promise.race([handler(event, LAMBDA_CONTEXT), timeout]);
    } catch (error) {
      if (error?.message === "the SDK did not finish") throw error;
      obs.output = { rejected: error };
    }
  } finally {
    clearTimeout(timer);
    Date.now = realNow;
    Math.random = realRandom;
  }
  obs.startUpdates = fake.sent.filter(([, , u]) => u.Id === stepId && u.Action === "START").map(([json]) => json);
  obs.startSent = obs.startUpdates.length > 0;
  if (obs.ranAttempt === null) obs.beforeFn = stepUpdates(fake.sent);
  else obs.afterFn = stepUpdates(fake.sent.slice(mark));
  obs.rejected = fake.sent.filter(([, ok]) => !ok).map(([json]) => json);
  obs.emptyCheckpoints = fake.emptyCheckpoints;
  return obs;
}

// --- stating an observation in the vector's terms -------------------------------------------

const MISMATCH = /Operation (type|name|subtype) mismatch for step "[^"]*"\. Expected \w+ "(.*?)", but got "(.*?)"\./;
const FIELDS = { type: "Type", name: "Name", subtype: "SubType" };
const literal = (s) => (s === "undefined" ? null : s);

export function derive(testCase, obs) {
  const { phase, request } = testCase.input;
  const output = obs.output ?? {};
  const error = output.Error ?? {};
  // Checked first: 2.4.0 detects the mismatch but does not stop the step, so for a STARTED or
  // READY checkpoint the user function still runs before the invocation ends FAILED.
  if (output.Status === "FAILED" && error.ErrorType === "NonDeterministicExecutionError") {
    const [, field, checkpoint, current] = MISMATCH.exec(error.ErrorMessage);
    return { updates: phase === "begin" ? obs.beforeFn : obs.afterFn,
      action: { kind: "non-deterministic", field: FIELDS[field],
        expected: literal(current), actual: literal(checkpoint) } };
  }
  if (phase === "begin" && obs.ranAttempt !== null) {
    // The core returns START as begin's update (sent before running, awaited if at-most-once).
    return { updates: [...obs.startUpdates, ...obs.beforeFn], action: { kind: "execute", attempt: obs.ranAttempt,
      send_start: obs.startSent, await_start: obs.startAwaited } };
  }
  const updates = phase === "begin" ? obs.beforeFn : obs.afterFn;
  if (obs.rejected.length > 0 && output.Status === "FAILED") {
    return { updates, action: { kind: "fail-execution", rule: "step-payload-too-large",
      category: "EXECUTION", error: { ErrorType: error.ErrorType, ErrorMessage: error.ErrorMessage } } };
  }
  const step = obs.step ?? {};
  if ("returned" in step) {
    return { updates, action: { kind: "return", payload: step.returned ?? null } };
  }
  if ("raised" in step && step.raised instanceof DurableOperationError) {
    const fails = updates.map((u) => JSON.parse(u)).filter((u) => u.Action === "FAIL");
    const checkpointed = phase === "begin" ? request.operation?.StepDetails?.Error : undefined;
    const errorObject = fails.at(-1)?.Error ?? checkpointed ?? { ErrorMessage: step.raised.message };
    return { updates, action: { kind: "raise", error_class: step.raised.constructor.name,
      error: errorObject } };
  }
  if (output.Status === "PENDING") {
    // The SDK takes the resume time from the service (NextAttemptTimestamp); it is stated here
    // as the service computes it and checked indirectly (see compare).
    const retry = updates.map((u) => JSON.parse(u)).find((u) => u.Action === "RETRY");
    let until = null;
    if (retry) until = request.now_ms + retry.StepOptions.NextAttemptDelaySeconds * 1000;
    else if (request.operation?.StepDetails?.NextAttemptTimestamp != null) {
      until = Math.max(request.operation.StepDetails.NextAttemptTimestamp, request.now_ms);
    }
    return { updates, action: { kind: "suspend", until_ms: until } };
  }
  if (output.Status === "FAILED" && step.raised === undefined && obs.ranAttempt !== null) {
    return { updates, action: { kind: "propagate" } };
  }
  throw new Error(`unrecognised outcome: ${JSON.stringify({ step, output })}`);
}

function sameRaise(thrown, want) {
  const error = want.error ?? {};
  if (thrown.constructor.name !== want.error_class) {
    return `raise: SDK threw ${thrown.constructor.name}, vector says ${want.error_class}`;
  }
  // What a host throws for the vector's action: the SDK's own reconstruction of the error object.
  const rebuilt = DurableOperationError.fromErrorObject(error);
  const got = [thrown.message, thrown.errorData, thrown.cause?.name, thrown.cause?.message];
  let expected = [rebuilt.message, rebuilt.errorData, rebuilt.cause?.name, rebuilt.cause?.message];
  if (thrown.cause === undefined) expected = [error.ErrorMessage, error.ErrorData, undefined, undefined];
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    return `raise: SDK threw [message, errorData, cause.name, cause.message]=${JSON.stringify(got)}, ` +
      `the vector's error rebuilds as ${JSON.stringify(expected)}`;
  }
  return null;
}

// null when the SDK does what the vector expects; else what differs.
export async function compare(testCase) {
  const obs = await observe(testCase);
  const derived = derive(testCase, obs);
  const expected = testCase.expected;
  const problems = [];
  if (JSON.stringify(derived.updates) !== JSON.stringify(expected.updates)) {
    problems.push(`updates: SDK sent ${JSON.stringify(derived.updates)}, vector says ${JSON.stringify(expected.updates)}`);
  }
  const got = derived.action;
  const want = expected.action ?? {};
  if (got.kind === "raise" && want.kind === "raise") {
    const problem = sameRaise(obs.step.raised, want);
    if (problem) problems.push(problem);
    if (JSON.stringify(got.error) !== JSON.stringify(want.error)) {
      problems.push(`raise: error object ${JSON.stringify(got.error)} vs vector ${JSON.stringify(want.error)}`);
    }
  } else if (got.kind === "suspend" && want.kind === "suspend") {
    // The resume time: a timer already due makes the SDK refresh the state at once (an empty
    // checkpoint); a future one or none does not.
    const now = testCase.input.request.now_ms;
    const due = want.until_ms !== null && want.until_ms <= now;
    if (due !== obs.emptyCheckpoints > 0) {
      problems.push(`suspend: vector until_ms ${want.until_ms} (now ${now}) but the SDK made ${obs.emptyCheckpoints} refresh checkpoints`);
    }
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      problems.push(`action: SDK ${JSON.stringify(got)}, vector ${JSON.stringify(want)}`);
    }
  } else if (JSON.stringify(got) !== JSON.stringify(want)) {
    problems.push(`action: SDK did ${JSON.stringify(got)}, vector says ${JSON.stringify(want)}`);
  }
  if (testCase.input.phase === "complete" && obs.ranAttempt !== testCase.input.request.attempt) {
    problems.push(`the SDK ran attempt ${obs.ranAttempt}, not ${testCase.input.request.attempt}`);
  }
  return problems.length ? problems.join("; ") : null;
}

// --- operation ids --------------------------------------------------------------------------

// Hashed Id -> ParentId of the updates a real nested handler sends.
// Root: child 1 { step 1-1, step 1-2 }, step 2, child 3 { step 3-1, child 3-2 { step 3-2-1,
// step 3-2-2 } }, steps 4 to 10.
export const NESTED_STEP_IDS = ["1", "1-1", "1-2", "2", "3", "3-1", "3-2", "3-2-1", "3-2-2",
  "4", "5", "6", "7", "8", "9", "10"];

export async function observedNestedIds() {
  const fake = new FakeService([EXECUTION_OP], "-", { promise: Promise.resolve() });
  const leaf = async () => "x";
  const pair = async (c) => {
    await c.step(leaf);
    await c.step(leaf);
    return "p";
  };
  const handler = withDurableExecution(async (_event, ctx) => {
    await ctx.runInChildContext(pair);
    await ctx.step(leaf);
    await ctx.runInChildContext(async (c) => {
      await c.step(leaf);
      await c.runInChildContext(pair);
      return "c";
    });
    for (let i = 4; i <= 10; i += 1) await ctx.step(leaf);
    return "h";
  }, { durableExecutionClient: fake.client() });
  const output = await handler({ DurableExecutionArn: ARN, CheckpointToken: "token-0",
    InitialExecutionState: { Operations: [EXECUTION_OP] } }, LAMBDA_CONTEXT);
  if (output.Status !== "SUCCEEDED") throw new Error(`nested run: ${JSON.stringify(output)}`);
  const seen = new Map();
  for (const [, , u] of fake.sent) if (!seen.has(u.Id)) seen.set(u.Id, u.ParentId);
  return seen;
}

// --- script ---------------------------------------------------------------------------------

export function tsCases(path = STEP_VECTORS) {
  const doc = JSON.parse(readFileSync(path, "utf8"));
  return doc.cases.filter((c) => c.input.request !== null && typeof c.input.request === "object" &&
    c.input.request.profile === "ts" && !(c.expected && "error" in c.expected));
}

async function main(argv) {
  const at = argv.indexOf("--vectors");
  const path = at >= 0 ? argv[at + 1] : STEP_VECTORS;
  const emit = argv.includes("--emit");
  const derivedAll = {};
  let failures = 0;
  let skipped = 0;
  for (const c of tsCases(path)) {
    let obs;
    try {
      obs = await observe(c);
    } catch (error) {
      if (!(error instanceof NotDrivable)) throw error;
      skipped += 1;
      console.error(`SKIP ${c.name}: ${error.message}`);
      continue;
    }
    derivedAll[c.name] = derive(c, obs);
    if (!emit) {
      const problem = c.expected ? await compare(c) : "no expectation";
      if (problem) {
        failures += 1;
        console.error(`DIFF ${c.name}: ${problem}`);
      }
    }
  }
  if (emit) console.log(JSON.stringify(derivedAll, null, 1));
  console.error(`ts: ${Object.keys(derivedAll).length} driven, ${skipped} not drivable, ${failures} differ`);
  return failures ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
