// The JS SDK's handler API on durable-core's invocation engine: a handler written for
// @aws/durable-execution-sdk-js runs with only the package name in its imports changed
// (`@aws/durable-execution-sdk-js` -> `durable-core/sdk`). Covered: steps (with or without a
// name), waits, child contexts, retry strategies and presets, serdes. Each method is one
// operation of the core's engine; this module only adapts arguments and errors.

import { createStrategy, exponential, linear } from './retry.js';
import { Engine, OperationError, Stopped, Suspended } from './invocation.js';
import { LambdaTransport } from './service.js';

export const StepSemantics = Object.freeze({
  AtMostOncePerRetry: 'AT_MOST_ONCE_PER_RETRY',
  AtLeastOncePerRetry: 'AT_LEAST_ONCE_PER_RETRY',
});

export const JitterStrategy = Object.freeze({ NONE: 'NONE', FULL: 'FULL', HALF: 'HALF' });

/** The SDK's operation errors, by the class names it gives them. */
export class DurableOperationError extends OperationError {}
export class StepError extends DurableOperationError {}
export class ChildContextError extends DurableOperationError {}
const ERROR_CLASSES = { StepError, ChildContextError };

function sdkError(error) {
  if (!(error instanceof OperationError) || error instanceof DurableOperationError) return error;
  const Class = ERROR_CLASSES[error.errorClass] ?? DurableOperationError;
  return new Class(error.errorClass, error.error);
}

/**
 * `(error, attemptsMade) => {shouldRetry, delay?}` as the SDK's, carrying its configuration so
 * a step hands it to the core, which decides under the invocation's profile.
 */
function strategyFrom(config) {
  const strategies = new Map();
  const forProfile = (profile) => {
    if (!strategies.has(profile)) strategies.set(profile, createStrategy(config, { profile }));
    return strategies.get(profile);
  };
  const retryStrategy = (error, attemptsMade) => {
    const { shouldRetry, delaySeconds } = forProfile('ts').decide(error, attemptsMade);
    return shouldRetry ? { shouldRetry, delay: { seconds: delaySeconds } } : { shouldRetry };
  };
  return Object.defineProperty(retryStrategy, CORE, { value: forProfile });
}

const CORE = Symbol('durable-core strategy');

export function createRetryStrategy(config = {}) {
  return strategyFrom(exponential(config));
}

export function createLinearRetryStrategy(config = {}) {
  return strategyFrom(linear(config));
}

export const retryPresets = Object.freeze({
  default: createRetryStrategy({ maxAttempts: 6, initialDelay: { seconds: 5 }, maxDelay: { seconds: 60 }, backoffRate: 2, jitter: 'FULL' }),
  linear: createLinearRetryStrategy({ maxAttempts: 6, initialDelay: { seconds: 1 }, increment: { seconds: 1 }, jitter: 'NONE' }),
  noRetry: createRetryStrategy({ maxAttempts: 1 }),
});

function coreStrategy(retryStrategy, profile) {
  if (retryStrategy === undefined) return undefined;
  const forProfile = typeof retryStrategy === 'function' ? retryStrategy[CORE] : undefined;
  if (forProfile) return forProfile(profile);
  throw new TypeError(
    'retryStrategy: durable-core/sdk runs retry decisions in the core, so it takes a strategy from ' +
      'createRetryStrategy, createLinearRetryStrategy or retryPresets, not an arbitrary function',
  );
}

/** The SDK's Duration ({days, hours, minutes, seconds}) in seconds. */
function durationSeconds(duration) {
  if (typeof duration !== 'object' || duration === null) throw new TypeError(`duration: expected {days, hours, minutes, seconds}, got ${String(duration)}`);
  const { days = 0, hours = 0, minutes = 0, seconds = 0 } = duration;
  return days * 86400 + hours * 3600 + minutes * 60 + seconds;
}

function engineSerdes(serdes, engine) {
  if (serdes === undefined) return undefined;
  const context = { durableExecutionArn: engine.arn };
  return {
    serialize: (value) => serdes.serialize(value, context),
    deserialize: (text) => serdes.deserialize(text, context),
  };
}

/** `(name?, fn, config?)` as the SDK's overloads take it. */
function nameFirst(nameOrFn, fnOrConfig, maybeConfig) {
  return typeof nameOrFn === 'function' ? [undefined, nameOrFn, fnOrConfig] : [nameOrFn, fnOrConfig, maybeConfig];
}

/**
 * Logs only what runs for the first time: quiet while the context replays an earlier
 * invocation, unless `modeAware` is false (then it logs during replay too).
 */
function replayAwareLogger(engine, context, { customLogger = console, modeAware = true } = {}) {
  const quiet = () => modeAware && engine.replayingIn(context);
  const logger = {};
  for (const level of ['debug', 'info', 'warn', 'error', 'log']) {
    logger[level] = (...args) => {
      if (!quiet()) (customLogger[level] ?? customLogger.info).call(customLogger, ...args);
    };
  }
  return logger;
}

export class DurableContext {
  #engine;
  #context;

  #loggerConfig;

  constructor(engine, context = 0, lambdaContext = undefined, loggerConfig = {}) {
    this.#engine = engine;
    this.#context = context;
    this.lambdaContext = lambdaContext;
    this.#loggerConfig = loggerConfig;
    this.logger = replayAwareLogger(engine, context, loggerConfig);
  }

  /** As the SDK's: `customLogger` receives the logs; `modeAware: false` logs during replay too. Child contexts inherit it. */
  configureLogger(config = {}) {
    this.#loggerConfig = { ...this.#loggerConfig, ...config };
    this.logger = replayAwareLogger(this.#engine, this.#context, this.#loggerConfig);
  }

  step(nameOrFn, fnOrConfig, maybeConfig) {
    const [name, fn, config = {}] = nameFirst(nameOrFn, fnOrConfig, maybeConfig);
    const engine = this.#engine;
    const logger = this.logger;
    return engine
      .step(this.#context, name, (attempt) => fn({ attempt, logger }), {
        serdes: engineSerdes(config.serdes, engine),
        semantics: config.semantics ?? StepSemantics.AtLeastOncePerRetry,
        strategy: coreStrategy(config.retryStrategy, engine.profile),
      })
      .catch((error) => {
        throw sdkError(error);
      });
  }

  wait(nameOrDuration, maybeDuration) {
    const [name, duration] = typeof nameOrDuration === 'string' ? [nameOrDuration, maybeDuration] : [undefined, nameOrDuration];
    return this.#engine.wait(this.#context, name, durationSeconds(duration));
  }

  runInChildContext(nameOrFn, fnOrConfig, maybeConfig) {
    const [name, fn, config = {}] = nameFirst(nameOrFn, fnOrConfig, maybeConfig);
    const engine = this.#engine;
    return engine
      .child(this.#context, name, (child) => fn(new DurableContext(engine, child, this.lambdaContext, this.#loggerConfig)), {
        serdes: engineSerdes(config.serdes, engine),
      })
      .catch((error) => {
        throw sdkError(error);
      });
  }
}

/**
 * Wraps `handler(event, context)` as a Lambda handler. `config.client`: an AWS SDK v3 Lambda
 * client (default: a new `LambdaClient`); `config.profile`: `ts` (the default, @aws/durable-execution-sdk-js
 * 2.4.0's rules) or `unified`.
 */
export function withDurableExecution(handler, config = {}) {
  if (typeof handler !== 'function') throw new TypeError('handler: expected a function (event, context) => result');
  const profile = config.profile ?? 'ts';
  return async (event, lambdaContext) => {
    let client = config.client;
    if (client === undefined) {
      const { LambdaClient } = await import('@aws-sdk/client-lambda').catch((cause) => {
        throw new Error(`@aws-sdk/client-lambda could not be imported (${cause?.message ?? cause}); install it, or pass config.client`, { cause });
      });
      client = new LambdaClient({});
    }
    const engine = await Engine.open(event, new LambdaTransport(client), { profile, ...(config.engine ?? {}) });
    if (engine.stopped) return engine.finishStopped();
    const input = JSON.parse(engine.inputText);
    let result;
    try {
      result = await handler(input, new DurableContext(engine, 0, lambdaContext, config.logger ? { customLogger: config.logger } : {}));
    } catch (error) {
      if (error instanceof Suspended) return engine.finishSuspend();
      if (error instanceof Stopped) return engine.finishStopped();
      return engine.finishThrow(error);
    }
    return engine.finishReturn(result === undefined ? undefined : JSON.stringify(result));
  };
}
