#!/usr/bin/env node
// The checkpoint-faults handler on @aws/durable-execution-sdk-js 2.4.0 behind a Lambda-compatible
// invoke endpoint, for dex-local-runner (through the harness's fault proxy). Drivers `node-sdk`
// (the SDK's own transport and classification: `withDurableExecution(handler, { client })`) and
// `node-sdk-core` (`{ durableExecutionClient: aws.createDurableExecutionClient(client, { profile })
// }` from host-node), and `core-node` (no SDK: durable-core/sdk on the invocation engine).
// Started by tests/conformance/harness/fault_suite.py.
//
//   node fault-server.mjs PROXY_URL
//
// Prints one JSON line {"url", "versions"} once it listens on 127.0.0.1 (a free port).
//   POST /cases {"function", "driver", "profile"}        register a function
//   GET  /facts/<function>                               what its invocations did
//   POST /2015-03-31/functions/<function>/invocations    the Lambda Invoke API
//
// The Lambda client is the AWS SDK v3 LambdaClient from host-node's node_modules with the proxy as
// endpoint, a 2 s request and connection timeout (so the proxy's held answer is a timeout) and
// maxAttempts 1 (no transport retries: the SDK must see each injected fault).

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const hostNode = path.resolve(here, "../../../host-node");
const proxyUrl = process.argv[2];
if (!proxyUrl) {
  process.stderr.write("usage: node fault-server.mjs PROXY_URL\n");
  process.exit(2);
}
// The SDK's durable logger writes to stdout; keep stdout for the one ready line.
const ready = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
console.log = () => {};
console.info = () => {};
console.warn = () => {};
console.error = () => {};
console.debug = () => {};

const requireFromHost = createRequire(path.join(hostNode, "package.json"));
const lambdaSdk = requireFromHost("@aws-sdk/client-lambda");
const sdkDir = path.join(hostNode, "node_modules/@aws/durable-execution-sdk-js");
// The ESM build, the module host-node's own import of the SDK resolves to.
const sdk = await import(pathToFileURL(path.join(sdkDir, "dist/index.mjs")).href);
const core = await import(pathToFileURL(path.join(hostNode, "src/index.js")).href);
const coreSdk = await import(pathToFileURL(path.join(hostNode, "src/sdk.js")).href);
const versions = {
  "@aws/durable-execution-sdk-js": JSON.parse(readFileSync(path.join(sdkDir, "package.json"), "utf8")).version,
  "@aws-sdk/client-lambda": requireFromHost("@aws-sdk/client-lambda/package.json").version,
  node: process.versions.node,
};

const TIMEOUT_MS = 2000;
const lambdaClient = () =>
  new lambdaSdk.LambdaClient({
    endpoint: proxyUrl,
    region: "us-west-2",
    credentials: { accessKeyId: "testing", secretAccessKey: "testing", sessionToken: "testing" },
    maxAttempts: 1,
    requestHandler: { requestTimeout: TIMEOUT_MS, connectionTimeout: TIMEOUT_MS },
  });

// The checkpoint-faults handler (see the requirements' handler prose).
const body = (facts) => async (_event, ctx) => {
  const value = await ctx.step("first", async () => {
    facts.step_runs.first = (facts.step_runs.first ?? 0) + 1;
    return "one";
  });
  await ctx.wait("pause", { seconds: 1 });
  return ctx.step("second", async () => {
    facts.step_runs.second = (facts.step_runs.second ?? 0) + 1;
    return `${value}-two`;
  });
};

const functions = new Map();

// Driver name (without its @profile suffix) -> (facts, profile) => the Lambda entry point.
// A new driver served by this process is one entry here and one in fault_suite.REGISTRY.
const DRIVERS = {
  "node-sdk": (facts) => sdk.withDurableExecution(body(facts), { client: lambdaClient() }),
  "node-sdk-core": (facts, profile) =>
    sdk.withDurableExecution(body(facts), {
      durableExecutionClient: core.aws.createDurableExecutionClient(lambdaClient(), {
        profile,
        commands: {
          CheckpointDurableExecutionCommand: lambdaSdk.CheckpointDurableExecutionCommand,
          GetDurableExecutionStateCommand: lambdaSdk.GetDurableExecutionStateCommand,
        },
      }),
    }),
  // No SDK at all: durable-core/sdk's withDurableExecution, the invocation engine in the core.
  "core-node": (facts, profile) => coreSdk.withDurableExecution(body(facts), { client: lambdaClient(), profile }),
};

function register({ function: name, driver, profile }) {
  const facts = { invocations: 0, outputs: [], step_runs: {}, driver, profile: profile ?? null };
  const make = DRIVERS[driver];
  if (!make) throw new Error(`unknown driver ${driver}`);
  functions.set(name, { facts, handler: make(facts, profile) });
}

async function invoke(name, event) {
  const entry = functions.get(name);
  if (!entry) return { status: 404, headers: {}, output: { Type: "User", Message: `Function not found: ${name}` } };
  entry.facts.invocations += 1;
  const context = {
    awsRequestId: randomUUID(),
    functionName: name,
    getRemainingTimeInMillis: () => 60_000,
  };
  try {
    const output = await entry.handler(event, context);
    entry.facts.outputs.push(String(output?.Status));
    return { status: 200, headers: {}, output };
  } catch (error) {
    const type = error?.name ?? typeof error;
    entry.facts.outputs.push(`error ${type}`);
    return {
      status: 200,
      headers: { "X-Amz-Function-Error": "Unhandled" },
      output: { errorType: type, errorMessage: String(error?.message ?? error) },
    };
  }
}

function send(res, status, payload, headers = {}) {
  const data = Buffer.from(JSON.stringify(payload));
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": data.length, ...headers });
  res.end(data);
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    try {
      const text = Buffer.concat(chunks).toString("utf8");
      const parts = req.url.split("?")[0].split("/").filter(Boolean);
      if (req.method === "POST" && req.url === "/cases") {
        register(JSON.parse(text));
        send(res, 200, { ok: true });
      } else if (req.method === "GET" && parts[0] === "facts" && parts.length === 2) {
        const entry = functions.get(decodeURIComponent(parts[1]));
        send(res, entry ? 200 : 404, entry ? entry.facts : { message: "no such function" });
      } else if (req.method === "POST" && parts.length === 4 && parts[0] === "2015-03-31" && parts[1] === "functions") {
        const { status, headers, output } = await invoke(decodeURIComponent(parts[2]), JSON.parse(text || "null"));
        send(res, status, output, headers);
      } else {
        send(res, 404, { message: `no route ${req.method} ${req.url}` });
      }
    } catch (error) {
      send(res, 500, { message: String(error?.stack ?? error) });
    }
  });
});

server.listen(0, "127.0.0.1", () => {
  ready(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}`, versions })}\n`);
});
