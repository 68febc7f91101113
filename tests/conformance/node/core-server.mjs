// The `core-node` driver's function side: the node-sdk driver's handlers (handlers.mjs), wrapped by
// durable-core/sdk's withDurableExecution instead of @aws/durable-execution-sdk-js's: the same
// handler source, run on durable-core's invocation engine (profile ts, no SDK). Serves the Lambda
// Invoke API on a loopback port to dex-local-runner; the harness
// (tests/conformance/harness/drivers/core_node.py) starts this process, registers one function per
// case, and reads each function's facts (invocations, crashes, logs) when its execution is done.
//
//   node core-server.mjs SERVICE_URL
//
// Prints one line {"url", "versions", "handled"} when it listens. Loopback only; dummy credentials.

import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CRASH_CASES, handlers, sdkShapedStrategies, seededDraws } from "./handlers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const hostNode = path.resolve(here, "../../../host-node");
const PROFILE = "ts";

const serviceUrl = process.argv[2];
if (!serviceUrl) {
  process.stderr.write("usage: node core-server.mjs SERVICE_URL\n");
  process.exit(2);
}

const requireFromHost = createRequire(path.join(hostNode, "package.json"));
const lambdaSdk = requireFromHost("@aws-sdk/client-lambda");
const lambdaSdkVersion = requireFromHost("@aws-sdk/client-lambda/package.json").version;
const sdk = await import(pathToFileURL(path.join(hostNode, "src/sdk.js")).href);

const lambda = new lambdaSdk.LambdaClient({
  endpoint: serviceUrl,
  region: "us-west-2",
  credentials: { accessKeyId: "testing", secretAccessKey: "testing", sessionToken: "testing" },
  maxAttempts: 1,
});

// durable-core/sdk's own strategies, configured as the node-sdk driver configures the SDK's.
const strategies = sdkShapedStrategies("durable-core", sdk);

const CRASHED = Symbol("crashed");
const cases = new Map(); // function name -> {id, handler, facts, crashed}

function register(name, id, seed) {
  const facts = { profile: PROFILE, invocations: 0, crashed_invocations: 0, crashed_at: [], outputs: [], logs: [], handler_errors: [] };
  const entry = { id, facts, crashed: undefined };
  const crash = (reason) => {
    entry.crashed?.({ [CRASHED]: reason });
    return new Promise(() => {}); // the step never finishes: nothing is checkpointed after it
  };
  const body = handlers(strategies, { crash })[id];
  if (body === undefined) return false;
  // The context loggers' output, as the log events the official log validator reads.
  const logger = {};
  for (const level of ["debug", "info", "warn", "error", "log"]) {
    logger[level] = (...args) =>
      facts.logs.push({ message: `[${level.toUpperCase()}] ${args.map(String).join(" ")}`, timestamp: Date.now() });
  }
  entry.handler = sdk.withDurableExecution(body, { client: lambda, profile: PROFILE, logger, engine: { random: seededDraws(seed) } });
  cases.set(name, entry);
  return true;
}

// Returns [httpHeaders, output] for one invocation.
async function invoke(entry, event) {
  const { facts } = entry;
  facts.invocations += 1;
  const ordinal = facts.invocations;
  const crashSignal = new Promise((resolve) => {
    entry.crashed = resolve;
  });
  try {
    const output = await Promise.race([entry.handler(event, {}), crashSignal]);
    if (output !== null && typeof output === "object" && CRASHED in output) {
      facts.crashed_invocations += 1;
      facts.crashed_at.push(ordinal);
      facts.outputs.push("crashed (Runtime.ExitError)");
      return [{ "X-Amz-Function-Error": "Unhandled" }, { errorType: "Runtime.ExitError", errorMessage: `simulated crash: ${output[CRASHED]}` }];
    }
    facts.outputs.push(output.Status);
    return [{}, output];
  } catch (error) {
    // The invocation fails (InvocationFailed: a retryable service failure): Lambda retries it.
    facts.handler_errors.push(`${ordinal}: ${error?.name}: ${error?.message}`);
    facts.outputs.push(`invocation failed (${error?.name})`);
    return [{ "X-Amz-Function-Error": "Unhandled" }, { errorType: error?.name ?? "Error", errorMessage: String(error?.message ?? error) }];
  }
}

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
      return register(name, id, seed) ? send(response, 200, { ok: true }) : send(response, 404, { message: `no core-node handler for ${id}` });
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
  const handled = Object.keys(handlers(strategies, { crash: () => {} }));
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, versions, handled, crashCases: [...CRASH_CASES] })}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => process.exit(0));
}
