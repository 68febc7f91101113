// The invocation engine's transport for the real service API, over an AWS SDK v3 Lambda client.
//
//   import { LambdaClient } from '@aws-sdk/client-lambda';
//   const engine = await Engine.open(event, new LambdaTransport(new LambdaClient({})), { profile: 'ts' });
//
// Updates go out as CheckpointDurableExecution `Updates` (the core writes them in the service
// shape already); operations come back with the SDK's Dates turned into epoch milliseconds, the
// shape of the invocation input, which is what the core reads. Errors are left as the AWS SDK
// throws them, for classifyError to judge. durable-core does not depend on @aws-sdk/client-lambda:
// the caller brings the client (and, for a bare LambdaClient, the package is imported on first use
// unless the command classes are given).

import { badValue, wrongType } from './errors.js';

// OperationUpdate members of the service model (CheckpointDurableExecution).
const UPDATE_MEMBERS = new Set([
  'Id',
  'ParentId',
  'Name',
  'Type',
  'SubType',
  'Action',
  'Payload',
  'Error',
  'ContextOptions',
  'StepOptions',
  'WaitOptions',
  'CallbackOptions',
  'ChainedInvokeOptions',
]);

/** GetDurableExecutionState page size; both SDKs ask for 1000, the service maximum. */
export const MAX_ITEMS = 1000;

/**
 * The invocation engine's transport over an AWS SDK v3 `Lambda` or `LambdaClient`: one
 * CheckpointDurableExecution or GetDurableExecutionState call, the response body back with Dates
 * as epoch milliseconds. Failures are thrown as the AWS SDK throws them.
 */
export class LambdaTransport {
  #calls;

  constructor(lambda, { commands } = {}) {
    this.#calls = bindCalls(lambda, commands);
  }

  async checkpoint(executionArn, checkpointToken, updates) {
    if (!Array.isArray(updates)) throw wrongType('updates', updates, 'a list of OperationUpdates');
    const input = { DurableExecutionArn: executionArn, CheckpointToken: checkpointToken, Updates: updates.map(toRequestUpdate) };
    return body(await this.#calls.checkpoint(input));
  }

  async getState(executionArn, checkpointToken, marker, maxItems = MAX_ITEMS) {
    const input = { DurableExecutionArn: executionArn, CheckpointToken: checkpointToken, Marker: marker, MaxItems: maxItems };
    return body(await this.#calls.getState(input));
  }
}

/** A response without the AWS SDK's `$metadata`, in the service's JSON shape. */
function body(response) {
  if (typeof response !== 'object' || response === null) return response;
  const { $metadata, ...rest } = response;
  return toWire(rest);
}

/** The two service calls on a `Lambda` (its methods) or a `LambdaClient` (`send` with the commands). */
function bindCalls(lambda, commands) {
  if (typeof lambda !== 'object' || lambda === null) throw wrongType('lambda', lambda, 'an AWS SDK v3 Lambda or LambdaClient');
  if (typeof lambda.checkpointDurableExecution === 'function' && typeof lambda.getDurableExecutionState === 'function') {
    return {
      checkpoint: (input) => lambda.checkpointDurableExecution(input),
      getState: (input) => lambda.getDurableExecutionState(input),
    };
  }
  if (typeof lambda.send !== 'function') {
    throw wrongType('lambda', lambda, 'an AWS SDK v3 Lambda or LambdaClient (no send, no checkpointDurableExecution)');
  }
  if (commands !== undefined) {
    for (const name of ['CheckpointDurableExecutionCommand', 'GetDurableExecutionStateCommand']) {
      if (typeof commands?.[name] !== 'function') throw wrongType(`commands.${name}`, commands?.[name], 'the command class');
    }
  }
  let loaded = commands ? Promise.resolve(commands) : undefined;
  const command = async (name) => {
    // The .catch also tells bundlers (esbuild) that the package may be absent at bundle time:
    // a handler that passes `commands`, or never builds this client, bundles without it.
    loaded ??= import('@aws-sdk/client-lambda').catch((cause) => {
      loaded = undefined; // the next call tries again
      throw new Error(
        `@aws-sdk/client-lambda could not be imported (${cause?.message ?? cause}); ` +
          'install it, or pass its command classes as options.commands',
        { cause },
      );
    });
    return (await loaded)[name];
  };
  return {
    checkpoint: async (input) => lambda.send(new (await command('CheckpointDurableExecutionCommand'))(input)),
    getState: async (input) => lambda.send(new (await command('GetDurableExecutionStateCommand'))(input)),
  };
}

/**
 * An OperationUpdate as the core writes it (object or JSON text) -> the SDK's `Updates` item.
 * Absent (null) members are dropped; unknown ones are rejected here rather than sent.
 */
export function toRequestUpdate(update) {
  if (typeof update === 'string') update = JSON.parse(update);
  if (typeof update !== 'object' || update === null || Array.isArray(update)) throw wrongType('updates', update, 'OperationUpdate objects');
  const out = {};
  for (const [key, value] of Object.entries(update)) {
    if (!UPDATE_MEMBERS.has(key)) throw badValue(`updates.${key}`, value, 'a member of OperationUpdate');
    if (value != null) out[key] = value;
  }
  return out;
}

/** A response value with every Date as epoch milliseconds, recursively (the invocation input's shape). */
export function toWire(value) {
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    const out = {};
    for (const [key, v] of Object.entries(value)) out[key] = toWire(v);
    return out;
  }
  return value;
}
