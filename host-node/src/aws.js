// Adapters for @aws/durable-execution-sdk-js: durable-core's rules in the shapes the SDK takes.

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
