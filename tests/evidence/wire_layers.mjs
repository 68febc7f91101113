// One step's updates as the JS SDK hands them to its DurableExecutionClient, and as the AWS SDK
// puts them on HTTP.
//
// The `step` vectors state ts updates as JSON.stringify of the update object the SDK's batcher
// passes to `durableExecutionClient.checkpoint` (key order Type, Action, Id, ParentId, SubType,
// Payload/Error, Name, StepOptions). This script runs a step in a child context through the
// SDK's own DurableExecutionApiClient around a real @aws-sdk/client-lambda LambdaClient whose
// request handler records the HTTP body, and prints both: the AWS SDK re-serialises each update
// in the service model's member order (Id, Type, Action, ParentId, Name, SubType, Payload,
// Error, StepOptions), the order Python's OperationUpdate.to_dict() uses, compact, UTF-8 kept.
//
//   node tests/evidence/wire_layers.mjs

import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const requireFromHost = createRequire(join(repo, "host-node", "package.json"));
const load = (name) => import(pathToFileURL(requireFromHost.resolve(name)).href);
const { DurableExecutionApiClient, withDurableExecution } = await load("@aws/durable-execution-sdk-js");
const { LambdaClient } = await load("@aws-sdk/client-lambda");

const bodies = [];
const requestHandler = {
  async handle(request) {
    bodies.push(typeof request.body === "string" ? request.body : new TextDecoder().decode(request.body));
    const answer = request.method === "GET"
      ? { Operations: [] }
      : { CheckpointToken: `token-${bodies.length + 1}`, NewExecutionState: {} };
    return { response: { statusCode: 200, headers: { "content-type": "application/json" },
      body: new TextEncoder().encode(JSON.stringify(answer)) } };
  },
  updateHttpClientConfig() {},
  httpHandlerConfigs() { return {}; },
};
const lambda = new LambdaClient({ region: "us-east-1", maxAttempts: 1, requestHandler,
  credentials: { accessKeyId: "AKID", secretAccessKey: "x" } });
const api = new DurableExecutionApiClient(lambda);
const handedOver = [];
const client = {
  getExecutionState: (params, logger) => api.getExecutionState(params, logger),
  checkpoint: (params, logger) => {
    handedOver.push(...params.Updates.map((u) => JSON.stringify(u)));
    return api.checkpoint(params, logger);
  },
};
const passThrough = { serialize: async (v) => v, deserialize: async (s) => s };
const handler = withDurableExecution(async (_event, ctx) => {
  await ctx.runInChildContext(async (child) => {
    await child.step("naïve", async () => "\"p\"", { serdes: passThrough });
  });
  return "done";
}, { durableExecutionClient: client });
const output = await handler({
  DurableExecutionArn: "arn:aws:lambda:us-east-1:123456789012:function:evidence:$LATEST/durable-execution/run/e",
  CheckpointToken: "token-0",
  InitialExecutionState: { Operations: [{ Id: "e", Type: "EXECUTION", Status: "STARTED",
    ExecutionDetails: { InputPayload: "{}" } }] },
}, { awsRequestId: "r", functionName: "evidence", getRemainingTimeInMillis: () => 60_000 });
console.log("handler output:", JSON.stringify(output));
console.log("handed to the DurableExecutionClient (vector form):");
for (const u of handedOver) console.log("  ", u);
console.log("HTTP bodies:");
for (const b of bodies) console.log("  ", b);
