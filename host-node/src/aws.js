// Adapters for @aws/durable-execution-sdk-js: durable-core's rules in the shapes the SDK takes.

import { classifyApiError, classifyError } from './classify.js';
import { wrongType } from './errors.js';
import { createStrategy } from './retry.js';

/**
 * A `retryStrategy` for the JS SDK's step config (StepConfig): `(error, attemptsMade) =>
 * {shouldRetry, delay?: {seconds}}`. `config` is a config from `retry.*` or the options of the
 * SDK's own `createRetryStrategy(config)`. The default profile `ts` gives the SDK's own decisions;
 * the strategy is compiled and validated now, so a bad config fails here, not at the first retry.
 */
export function createRetryStrategy(config, { profile = 'ts' } = {}) {
  const strategy = createStrategy(config, { profile });
  return function retryStrategy(error, attemptsMade) {
    const { shouldRetry, delaySeconds } = strategy.decide(error, attemptsMade);
    // The SDK's built-in strategies return no delay when they do not retry.
    return shouldRetry ? { shouldRetry, delay: { seconds: delaySeconds } } : { shouldRetry };
  };
}

/**
 * A `DurableExecutionClient` for the JS SDK (`withDurableExecution(handler, {
 * durableExecutionClient })`) that calls CheckpointDurableExecution / GetDurableExecutionState
 * through `lambda` (an AWS SDK v3 `LambdaClient`) and, when a call fails, throws the SDK's
 * `DurableExecutionClientError` with the scope durable-core's classifier gives the failure
 * (`INVOCATION`: the service re-invokes; `EXECUTION`: the execution fails). The SDK believes a
 * client-stated scope (its public hook), so the rules are the core's `profile` (default
 * `unified`; `ts` reproduces the SDK's own). The original AWS error is the `cause` (its `name`
 * and `message` are kept), the core's result is `classification`. Command classes come from `commands` or from
 * `@aws-sdk/client-lambda` (imported on first use); the error class from
 * `@aws/durable-execution-sdk-js` (imported on the first failure).
 */
export function createDurableExecutionClient(lambda, { profile = 'unified', commands } = {}) {
  if (typeof lambda !== 'object' || lambda === null || typeof lambda.send !== 'function') {
    throw wrongType('lambda', lambda, 'an AWS SDK v3 LambdaClient (with send)');
  }
  if (commands !== undefined) {
    for (const name of ['CheckpointDurableExecutionCommand', 'GetDurableExecutionStateCommand']) {
      if (typeof commands?.[name] !== 'function') throw wrongType(`commands.${name}`, commands?.[name], 'the command class');
    }
  }
  classifyApiError({ status: 500, profile }); // a bad profile fails now, named, not at the first failure
  let loaded = commands ? Promise.resolve(commands) : undefined;
  let sdk;
  const call = async (api, name, input) => {
    let Command;
    try {
      // The .catch also tells bundlers the package may be absent at bundle time.
      loaded ??= import('@aws-sdk/client-lambda').catch((error) => {
        throw new Error(`@aws-sdk/client-lambda could not be imported (${error?.message ?? error}); install it, or pass options.commands`, { cause: error });
      });
      Command = (await loaded)[name];
    } catch (cause) {
      loaded = undefined;
      throw cause;
    }
    try {
      return await lambda.send(new Command(input));
    } catch (cause) {
      const classification = classifyError(cause, { api, profile });
      sdk ??= import('@aws/durable-execution-sdk-js').catch((error) => {
        sdk = undefined;
        throw new Error(`@aws/durable-execution-sdk-js could not be imported (${error?.message ?? error})`, { cause: error });
      });
      const { DurableExecutionClientError, DurableExecutionClientErrorScope } = await sdk;
      const error = new DurableExecutionClientError(cause?.message ?? String(cause), {
        scope: DurableExecutionClientErrorScope[classification.category],
        cause,
      });
      // The SDK recognises the error by its marker, not its name; keeping the AWS error's name
      // keeps the ErrorType the execution records when it fails (e.g. KMSNotFoundException).
      if (typeof cause?.name === 'string' && cause.name) error.name = cause.name;
      error.classification = classification;
      throw error;
    }
  };
  return {
    getExecutionState: (params) =>
      call('get-state', 'GetDurableExecutionStateCommand', {
        DurableExecutionArn: params.DurableExecutionArn,
        CheckpointToken: params.CheckpointToken,
        Marker: params.Marker,
        MaxItems: params.MaxItems,
      }),
    checkpoint: (params) =>
      call('checkpoint', 'CheckpointDurableExecutionCommand', {
        DurableExecutionArn: params.DurableExecutionArn,
        CheckpointToken: params.CheckpointToken,
        ClientToken: params.ClientToken,
        Updates: params.Updates,
      }),
  };
}
