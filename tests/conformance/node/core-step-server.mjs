#!/usr/bin/env node
// The `core-step-node` driver's function side: durable-core's Node step driver (host-node's
// Invocation / runStep, profile ts, no SDK) behind a Lambda-compatible invoke endpoint, for the
// Python testing SDK's local service (dex-local-runner start-server) to invoke. The Python driver
// (tests/conformance/harness/drivers/core_step_node.py) starts this process, registers one function
// per case, starts the executions on the service with this endpoint as their LambdaEndpoint, and
// reads each function's facts when its execution is over.
//
//   node core-step-server.mjs SERVICE_URL
//
// Prints one JSON line {"url", "versions", "handled": [requirement ids]} once it listens on
// 127.0.0.1 (a free port).
//   POST /cases {"function", "id", "seed"}          register a function running requirement `id`
//   GET  /facts/<function>                          what its invocations did
//   POST /2015-03-31/functions/<function>/invocations   the Lambda Invoke API
//
// The handlers are written here from each requirement's handler/invocations prose. A Lambda crash
// (1-17, 1-18) is the step function never settling while the invocation answers with an Unhandled
// Runtime.ExitError function error: nothing after the crash is checkpointed.

import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const hostNode = path.resolve(here, "../../../host-node");
const PROFILE = "ts";

const serviceUrl = process.argv[2];
if (!serviceUrl) {
  process.stderr.write("usage: node core-step-server.mjs SERVICE_URL\n");
  process.exit(2);
}

const requireFromHost = createRequire(path.join(hostNode, "package.json"));
const lambdaSdk = requireFromHost("@aws-sdk/client-lambda");
const lambdaSdkVersion = requireFromHost("@aws-sdk/client-lambda/package.json").version;
const core = await import(pathToFileURL(path.join(hostNode, "src/index.js")).href);
const coreStep = await import(pathToFileURL(path.join(hostNode, "src/step-index.js")).href);
const { retry } = core;
const { Invocation, LambdaServiceClient, StepError, SuspendExecution, CheckpointFailed, FailExecutionError, step } = coreStep;

const lambda = new lambdaSdk.LambdaClient({
  endpoint: serviceUrl,
  region: "us-west-2",
  credentials: { accessKeyId: "testing", secretAccessKey: "testing", sessionToken: "testing" },
  maxAttempts: 1,
});
const client = new LambdaServiceClient(lambda, {
  commands: {
    CheckpointDurableExecutionCommand: lambdaSdk.CheckpointDurableExecutionCommand,
    GetDurableExecutionStateCommand: lambdaSdk.GetDurableExecutionStateCommand,
  },
});

// ---- the handler layer

class TransientError extends Error {
  constructor(message) {
    super(message);
    this.name = "TransientError";
  }
}

class TimeoutError extends Error {
  constructor(message) {
    super(message);
    this.name = "TimeoutError";
  }
}

// One invocation of a durable handler: root steps numbered in call order, each run by durable-core's
// driver with the ts profile; `draw` gives the case's next seeded jitter draw (one per step call).
class Durable {
  constructor(invocation, draw, log, crash) {
    this.invocation = invocation;
    this.draw = draw;
    this.log = log;
    this.crash = crash;
    this.counter = 0;
  }

  step(fn, { name, strategy, semantics = "AT_LEAST_ONCE_PER_RETRY", serialize, deserialize } = {}) {
    this.counter += 1;
    const { id } = step.operationId(PROFILE, null, this.counter);
    const options = { strategy, random: this.draw() };
    if (serialize !== undefined) options.serialize = serialize;
    if (deserialize !== undefined) options.deserialize = deserialize;
    return this.invocation.step({ id, name: name ?? null, semantics, profile: PROFILE }, fn, options);
  }
}

const strategies = {
  none: () => retry.createStrategy(retry.preset("noRetry"), { profile: PROFILE }),
  exponential: (config) => retry.createStrategy(retry.exponential(config), { profile: PROFILE }),
};

const alwaysFail = async () => {
  throw new Error("step always fails");
};

// Requirement id -> async (event, ctx) => result.
const handlers = {
  "1-1": (event, ctx) => ctx.step(async () => `Hello, ${event}!`),
  "1-2": (event, ctx) => ctx.step(async () => `Hello, ${event}!`, { name: "custom_step_name" }),
  "1-3": async (_event, ctx) => {
    const first = await ctx.step(async () => "first");
    return ctx.step(async () => `${first}_second`);
  },
  "1-4": (event, ctx) =>
    ctx.step(async () => ({ user: { name: event.name, tags: [...event.tags] }, count: event.tags.length })),
  "1-5": (_event, ctx) => ctx.step(async () => undefined),
  "1-6": (event, ctx) =>
    ctx.step(async () => event, {
      serialize: (value) => JSON.stringify(typeof value === "string" ? value.toUpperCase() : value),
    }),
  "1-7": (event, ctx) =>
    ctx.step(async () => {
      ctx.log(`Greeting step started for: ${event}`);
      const greeting = `Hello, ${event}!`;
      ctx.log(`Greeting step completed with: ${greeting}`);
      return greeting;
    }),
  "1-11": (_event, ctx) =>
    ctx.step(
      async (attempt) => {
        if (attempt < 2) throw new Error("first attempt fails");
        return "Operation succeeded";
      },
      { strategy: strategies.exponential({ maxAttempts: 3, initialDelay: { seconds: 1 }, jitter: "NONE" }) },
    ),
  "1-12": (_event, ctx) =>
    ctx.step(alwaysFail, {
      strategy: strategies.exponential({ maxAttempts: 4, initialDelay: { seconds: 1 }, backoffRate: 1, jitter: "NONE" }),
    }),
  // No strategy: the core's default under the ts profile.
  "1-13": (_event, ctx) =>
    ctx.step(async (attempt) => {
      if (attempt < 3) throw new Error(`attempt ${attempt} fails`);
      return "succeeded on third attempt";
    }),
  "1-14": (_event, ctx) =>
    ctx.step(
      async (attempt) => {
        if (attempt < 3) throw new Error(`attempt ${attempt} fails`);
        return "succeeded after backoff";
      },
      {
        strategy: strategies.exponential({ maxAttempts: 5, initialDelay: { seconds: 2 }, backoffRate: 3, jitter: "NONE" }),
      },
    ),
  "1-15": (_event, ctx) =>
    ctx.step(
      async (attempt) => {
        if (attempt < 2) throw new TransientError("transient failure");
        return "recovered";
      },
      {
        strategy: strategies.exponential({
          maxAttempts: 3,
          initialDelay: { seconds: 1 },
          jitter: "NONE",
          retryableErrorTypes: [TransientError],
        }),
      },
    ),
  "1-16": (_event, ctx) =>
    ctx.step(
      async () => {
        throw new TransientError("transient failure, not retried");
      },
      {
        // Only TimeoutError is retryable, so TransientError is not.
        strategy: strategies.exponential({
          maxAttempts: 3,
          initialDelay: { seconds: 1 },
          jitter: "NONE",
          retryableErrorTypes: [TimeoutError],
        }),
      },
    ),
  "1-17": (event, ctx) =>
    ctx.step(
      async () => {
        ctx.log(`${event}`);
        return ctx.crash("process exit during the step");
      },
      { name: "at_most_once_flaky_step", strategy: strategies.none(), semantics: "AT_MOST_ONCE_PER_RETRY" },
    ),
  "1-18": (event, ctx) =>
    ctx.step(
      async (attempt) => {
        ctx.log(`${event}`);
        if (attempt < 2) return ctx.crash("process exit during the first attempt");
        return "succeeded on second attempt";
      },
      {
        strategy: strategies.exponential({ maxAttempts: 3, initialDelay: { seconds: 1 }, jitter: "NONE" }),
        semantics: "AT_MOST_ONCE_PER_RETRY",
      },
    ),
  "1-19": (_event, ctx) => ctx.step(alwaysFail, { strategy: strategies.none() }),
  "1-20": async (_event, ctx) => {
    let value;
    try {
      value = await ctx.step(alwaysFail, { strategy: strategies.none() });
    } catch (error) {
      if (!(error instanceof StepError)) throw error;
      value = "fallback_result";
    }
    return ctx.step(async () => value);
  },
};

// A small seeded generator (mulberry32): the case's jitter draws, reproducible for a seed.
function seededDraws(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the Lambda entry point

const CRASHED = Symbol("crashed");
const cases = new Map(); // function name -> {id, body, draw, facts, busy}

function executionInput(invocation) {
  for (const op of invocation.operations.values()) {
    if (op.Type === "EXECUTION") {
      const payload = op.ExecutionDetails?.InputPayload;
      return payload === undefined || payload === null ? undefined : JSON.parse(payload);
    }
  }
  throw new Error("the invocation input has no EXECUTION operation");
}

function failed(errorType, message, data) {
  const error = { ErrorType: errorType || "Error", ErrorMessage: message ?? "" };
  if (data !== undefined && data !== null) error.ErrorData = data;
  return { Status: "FAILED", Error: error };
}

// Returns [httpHeaders, output] for one invocation.
async function invoke(entry, event) {
  const { facts } = entry;
  facts.invocations += 1;
  const ordinal = facts.invocations;
  let crashed;
  const crashSignal = new Promise((resolve) => {
    crashed = resolve;
  });
  const crash = (reason) => {
    crashed({ [CRASHED]: reason });
    return new Promise(() => {}); // the step never finishes: nothing is checkpointed after it
  };
  let output;
  try {
    const invocation = await Invocation.fromEvent(client, event, { profile: PROFILE });
    const ctx = new Durable(invocation, entry.draw, (line) => facts.logs.push(line), crash);
    const outcome = await Promise.race([entry.body(executionInput(invocation), ctx), crashSignal]);
    if (outcome !== null && typeof outcome === "object" && CRASHED in outcome) {
      facts.crashed_invocations += 1;
      facts.crashed_at.push(ordinal);
      facts.outputs.push("crashed (Runtime.ExitError)");
      return [{ "X-Amz-Function-Error": "Unhandled" }, { errorType: "Runtime.ExitError", errorMessage: `simulated crash: ${outcome[CRASHED]}` }];
    }
    output = { Status: "SUCCEEDED" };
    const text = JSON.stringify(outcome);
    if (text !== undefined) output.Result = text;
  } catch (error) {
    if (error instanceof SuspendExecution) {
      output = { Status: "PENDING" };
    } else if (error instanceof StepError) {
      output = failed(error.errorClass, error.message, error.errorData);
    } else if (error instanceof FailExecutionError) {
      output = failed(error.error?.ErrorType, error.error?.ErrorMessage);
    } else if (error instanceof CheckpointFailed && error.retryable) {
      facts.handler_errors.push(`${ordinal}: ${error.message}`);
      facts.outputs.push("invocation failed (retryable checkpoint error)");
      return [{ "X-Amz-Function-Error": "Unhandled" }, { errorType: "CheckpointFailed", errorMessage: error.message }];
    } else {
      facts.handler_errors.push(`${ordinal}: ${error?.name}: ${error?.message}`);
      output = failed(error?.name, String(error?.message ?? error));
    }
  }
  facts.outputs.push(output.Status);
  return [{}, output];
}

// ---- HTTP

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function send(response, status, body, headers = {}) {
  const data = Buffer.from(JSON.stringify(body ?? null));
  response.writeHead(status, { "Content-Type": "application/json", "Content-Length": data.length, ...headers });
  response.end(data);
}

const server = createServer(async (request, response) => {
  try {
    const url = new URL(request.url, "http://localhost");
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const text = await readBody(request);
    if (request.method === "POST" && parts.length === 1 && parts[0] === "cases") {
      const { function: name, id, seed } = JSON.parse(text);
      const body = handlers[id];
      if (body === undefined) return send(response, 404, { message: `no core-step-node handler for ${id}` });
      cases.set(name, {
        id,
        body,
        draw: seededDraws(seed),
        facts: { profile: PROFILE, invocations: 0, crashed_invocations: 0, crashed_at: [], outputs: [], logs: [], handler_errors: [] },
      });
      return send(response, 200, { ok: true });
    }
    if (request.method === "GET" && parts.length === 2 && parts[0] === "facts") {
      const entry = cases.get(parts[1]);
      return entry ? send(response, 200, entry.facts) : send(response, 404, { message: "unknown function" });
    }
    if (request.method === "POST" && parts.length === 4 && parts[0] === "2015-03-31" && parts[1] === "functions" && parts[3] === "invocations") {
      const entry = cases.get(parts[2]);
      if (entry === undefined) {
        return send(response, 404, { Type: "User", Message: `Function not found: ${parts[2]}` }, { "X-Amzn-ErrorType": "ResourceNotFoundException" });
      }
      const [headers, output] = await invoke(entry, JSON.parse(text || "null"));
      return send(response, 200, output, headers);
    }
    return send(response, 404, { message: `no route ${request.method} ${url.pathname}` });
  } catch (error) {
    return send(response, 500, { message: String(error?.stack ?? error) });
  }
});

server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  const versions = { node: process.version, "@aws-sdk/client-lambda": lambdaSdkVersion };
  const handled = Object.keys(handlers);
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, versions, handled })}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => process.exit(0));
}
