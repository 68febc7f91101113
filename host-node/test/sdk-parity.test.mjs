// The ts profile of the classify vectors, checked against the real released SDK.
//
// Every non-error `classify` case whose profile is `ts` is turned into a real failure inside
// @aws/durable-execution-sdk-js 2.4.0, driven through its public entry point
// `withDurableExecution`, and the outcome is read the way Lambda reads it:
//   handler resolves with {Status: "FAILED"}  => EXECUTION (the execution ends)
//   handler promise rejects                   => INVOCATION (Lambda retries the invocation)
// Nothing from durable-core is imported: if a vector disagrees with the SDK, the vector is wrong.
//
// Two routes per case:
//   client: `durableExecutionClient` is an object implementing the SDK's public
//     DurableExecutionClient interface (checkpoint, getExecutionState) that throws an
//     AWS-SDK-v3-shaped error: an Error whose `name` is the code, with `$metadata.httpStatusCode`.
//     A case without a code throws a plain Error (name "Error").
//   lambda: `durableExecutionClient` is the SDK's own DurableExecutionApiClient around a real
//     LambdaClient from @aws-sdk/client-lambda whose request handler answers with the status, an
//     `x-amzn-errortype` header for the code and a JSON body for the message, so the AWS SDK's
//     own deserializer builds the error. A case without a status becomes a transport failure
//     (the request handler throws). Statuses below 300 are successes to the AWS SDK, so cases
//     with status 0 or 1xx take only the client route.
//     What the AWS SDK makes of a body without a code: name "Unknown", message "UnknownError".
//
// Transport inputs (tests/README.md): a case with `stated_scope` throws an error carrying the
// JS SDK's structural DurableExecutionClientError marker and that scope; a `wrapped` case throws
// `new Error(..., {cause})` around the error it would otherwise throw; a status given as text is
// put into `$metadata.httpStatusCode` as text. The AWS SDK can produce none of these, so they
// take the client route only.
//
// A checkpoint case runs a handler that performs one step, so a checkpoint is sent and fails.
// A get-state case starts from an InitialExecutionState with a NextMarker, so the SDK pages
// the state with GetDurableExecutionState before the handler runs, and that call fails.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DurableExecutionApiClient, withDurableExecution } from "@aws/durable-execution-sdk-js";
import { LambdaClient } from "@aws-sdk/client-lambda";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const ARN =
  "arn:aws:lambda:us-east-1:123456789012:function:parity:$LATEST/durable-execution/run/0001";
const RUN_TIMEOUT_MS = 10_000;
// The profiles that reproduce the installed SDK release: its release name and its alias.
const SDK_VERSION = JSON.parse(
  readFileSync(join(here, "..", "node_modules", "@aws", "durable-execution-sdk-js", "package.json"), "utf8"),
).version;
const TS_PROFILES = new Set(["ts", `ts@${SDK_VERSION}`]);

function vectorDirs() {
  const extra = (process.env.DURABLE_CORE_VECTORS ?? "").split(":").filter(Boolean);
  return [join(repo, "tests", "vectors"), ...extra];
}

function tsCases() {
  const cases = [];
  for (const dir of vectorDirs()) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
      const doc = JSON.parse(readFileSync(join(dir, file), "utf8"));
      if (doc.suite !== "classify") continue;
      for (const c of doc.cases) {
        if ("error" in c.expected || !TS_PROFILES.has(c.input.profile)) continue;
        cases.push({ id: `${file}::${c.name}`, input: c.input, expected: c.expected });
      }
    }
  }
  return cases;
}

const CASES = tsCases();
const wireExpressible = (input) =>
  input.stated_scope == null &&
  input.wrapped !== true &&
  (input.status == null || (Number.isInteger(input.status) && input.status >= 300 && input.status <= 599));
const WIRE_CASES = CASES.filter((c) => wireExpressible(c.input));
const checked = { client: new Set(), lambda: new Set() };

function event(api) {
  return {
    DurableExecutionArn: ARN,
    CheckpointToken: "parity-token-1",
    InitialExecutionState: {
      Operations: [
        {
          Id: "parity-execution",
          Type: "EXECUTION",
          Status: "STARTED",
          ExecutionDetails: { InputPayload: "{}" },
        },
      ],
      ...(api === "get-state" ? { NextMarker: "parity-marker" } : {}),
    },
  };
}

const lambdaContext = {
  awsRequestId: "parity-request",
  functionName: "parity",
  getRemainingTimeInMillis: () => 300_000,
};

async function oneStep(_event, context) {
  await context.step("parity-step", async () => "stepped");
  return "done";
}

// An error shaped the way the AWS SDK v3 throws service errors, with what a transport adds.
function awsShapedError({ status, code, message, stated_scope: scope, wrapped }) {
  const error = new Error(message ?? "");
  if (code != null) error.name = code;
  error.$metadata = status == null ? {} : { httpStatusCode: status };
  if (scope != null) Object.assign(error, { isDurableExecutionClientError: true, scope });
  return wrapped ? new Error("the transport failed", { cause: error }) : error;
}

function fakeDurableClient(api, error) {
  const calls = { checkpoint: 0, "get-state": 0 };
  const client = {
    async getExecutionState() {
      calls["get-state"] += 1;
      if (api === "get-state") throw error;
      return { Operations: [] };
    },
    async checkpoint() {
      calls.checkpoint += 1;
      if (api === "checkpoint") throw error;
      return { CheckpointToken: `parity-token-${calls.checkpoint + 1}`, NewExecutionState: {} };
    },
  };
  return { client, calls };
}

function lambdaClientAnswering(api, input) {
  const calls = { checkpoint: 0, "get-state": 0 };
  const requestHandler = {
    async handle(request) {
      const which = request.method === "GET" ? "get-state" : "checkpoint";
      calls[which] += 1;
      if (which !== api) {
        const ok =
          which === "checkpoint"
            ? { CheckpointToken: `parity-token-${calls.checkpoint + 1}`, NewExecutionState: {} }
            : { Operations: [] };
        return { response: jsonResponse(200, {}, JSON.stringify(ok)) };
      }
      const { status, code, message } = input;
      if (status == null) {
        const failure = new Error(message ?? "socket hang up");
        if (code != null) failure.name = code;
        throw failure;
      }
      const headers = code != null ? { "x-amzn-errortype": code } : {};
      let body = "";
      if (code != null || message != null) {
        body = JSON.stringify(message == null ? {} : { Message: message });
      }
      return { response: jsonResponse(status, headers, body) };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
  };
  const client = new LambdaClient({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDPARITYTEST", secretAccessKey: "parity-test-secret" },
    maxAttempts: 1,
    requestHandler,
  });
  return { client: new DurableExecutionApiClient(client), calls };
}

function jsonResponse(statusCode, headers, body) {
  return {
    statusCode,
    headers: { "content-type": "application/json", ...headers },
    body: new TextEncoder().encode(body),
  };
}

// DurableExecutionApiClient logs every failed call to stderr as a structured ERROR line; drop
// the lines that name this test's execution so the report stays readable.
async function quietly(run) {
  const write = process.stderr.write;
  process.stderr.write = function (chunk, ...rest) {
    if (String(chunk).includes(ARN)) return true;
    return write.call(this, chunk, ...rest);
  };
  try {
    return await run();
  } finally {
    process.stderr.write = write;
  }
}

async function invoke(durableExecutionClient, api) {
  const handler = withDurableExecution(oneStep, { durableExecutionClient });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the SDK did not finish within ${RUN_TIMEOUT_MS} ms`)),
      RUN_TIMEOUT_MS,
    );
  });
  try {
    const output = await Promise.race([handler(event(api), lambdaContext), timeout]);
    return { output };
  } catch (error) {
    if (error?.message?.startsWith("the SDK did not finish")) throw error;
    return { rejected: error };
  } finally {
    clearTimeout(timer);
  }
}

// Reads the outcome, checking that it is the classification path and not some other failure.
function categoryOf(outcome, api, input, thrown) {
  if (outcome.rejected !== undefined) {
    const error = outcome.rejected;
    if (api === "checkpoint") {
      assert.equal(error.name, "CheckpointUnrecoverableInvocationError", String(error?.stack));
      assert.equal(error.isUnrecoverableInvocation, true);
    } else if (thrown !== undefined) {
      assert.equal(error, thrown, "the state-fetch error is rethrown unchanged");
    } else {
      assert.equal(error.$metadata?.httpStatusCode, input.status ?? undefined);
    }
    return "INVOCATION";
  }
  const { output } = outcome;
  assert.equal(output?.Status, "FAILED", `no failure observed: ${JSON.stringify(output)}`);
  if (api === "checkpoint") {
    assert.equal(output.Error?.ErrorType, "CheckpointUnrecoverableExecutionError");
  } else {
    assert.equal(output.Error?.ErrorType, input.code, "the state-fetch error is reported as is");
  }
  return "EXECUTION";
}

function expectOneFailingCall(calls, api) {
  assert.equal(calls[api], 1, `the SDK called ${api} ${calls[api]} times`);
  if (api === "checkpoint") assert.equal(calls["get-state"], 0);
  else assert.equal(calls.checkpoint, 0, "nothing is checkpointed after a failed state fetch");
}

test("control: with a working client the one-step handler checkpoints and succeeds", async () => {
  for (const api of ["checkpoint", "get-state"]) {
    const { client, calls } = fakeDurableClient("none", undefined);
    const { output } = await invoke(client, api);
    assert.deepEqual(output, { Status: "SUCCEEDED", Result: '"done"' });
    assert.ok(calls.checkpoint >= 1, "the step was checkpointed");
    assert.equal(calls["get-state"], api === "get-state" ? 1 : 0);
    const lambda = lambdaClientAnswering("none", {});
    const viaLambda = await quietly(() => invoke(lambda.client, api));
    assert.deepEqual(viaLambda.output, { Status: "SUCCEEDED", Result: '"done"' });
    assert.ok(lambda.calls.checkpoint >= 1);
  }
});

for (const c of CASES) {
  const api = c.input.api ?? "checkpoint";

  test(`client route: ${c.id}`, { timeout: RUN_TIMEOUT_MS + 5_000 }, async () => {
    const thrown = awsShapedError(c.input);
    const { client, calls } = fakeDurableClient(api, thrown);
    const outcome = await invoke(client, api);
    expectOneFailingCall(calls, api);
    const category = categoryOf(outcome, api, c.input, thrown);
    assert.equal(category, c.expected.category, `${c.id}: the SDK says ${category}`);
    assert.equal(c.expected.retryable, category === "INVOCATION");
    checked.client.add(c.id);
  });

  if (!wireExpressible(c.input)) continue;
  test(`lambda route: ${c.id}`, { timeout: RUN_TIMEOUT_MS + 5_000 }, async () => {
    const { client, calls } = lambdaClientAnswering(api, c.input);
    const outcome = await quietly(() => invoke(client, api));
    expectOneFailingCall(calls, api);
    const category = categoryOf(outcome, api, c.input, undefined);
    assert.equal(category, c.expected.category, `${c.id}: the SDK says ${category}`);
    checked.lambda.add(c.id);
  });
}

test("every ts case reached the SDK (a parity test that checks nothing fails)", () => {
  assert.equal(SDK_VERSION, "2.4.0", "the ts vectors reproduce @aws/durable-execution-sdk-js 2.4.0");
  assert.ok(CASES.length > 0, "no ts-profile classify vectors found");
  assert.ok(CASES.some((c) => c.input.profile === "ts@2.4.0"), "no release-named ts vectors found");
  assert.ok(CASES.some((c) => c.input.stated_scope != null), "no stated-scope ts vectors found");
  assert.ok(CASES.some((c) => c.input.wrapped === true), "no wrapped ts vectors found");
  assert.ok(CASES.some((c) => typeof c.input.status === "string"), "no text-status ts vectors found");
  assert.ok(WIRE_CASES.length > 0);
  assert.equal(checked.client.size, CASES.length, "some client-route cases failed");
  assert.equal(checked.lambda.size, WIRE_CASES.length, "some lambda-route cases failed");
  const { client, lambda } = checked;
  console.log(`checked ${client.size} client-route and ${lambda.size} lambda-route cases`);
});
