// Types of durable-core/sdk: the handler API of @aws/durable-execution-sdk-js on durable-core.

export declare const StepSemantics: Readonly<{
  AtMostOncePerRetry: 'AT_MOST_ONCE_PER_RETRY';
  AtLeastOncePerRetry: 'AT_LEAST_ONCE_PER_RETRY';
}>;
export type StepSemantics = (typeof StepSemantics)[keyof typeof StepSemantics];

export declare const JitterStrategy: Readonly<{ NONE: 'NONE'; FULL: 'FULL'; HALF: 'HALF' }>;
export type JitterStrategy = (typeof JitterStrategy)[keyof typeof JitterStrategy];

/** The SDK's Duration: at least one of days, hours, minutes, seconds. */
export interface Duration {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
}

export interface RetryDecision {
  shouldRetry: boolean;
  delay?: Duration;
}

/** A strategy from createRetryStrategy / createLinearRetryStrategy / retryPresets; the core decides. */
export type RetryStrategy = (error: Error, attemptsMade: number) => RetryDecision;

export interface RetryStrategyConfig {
  maxAttempts?: number;
  initialDelay?: Duration;
  maxDelay?: Duration;
  backoffRate?: number;
  jitter?: JitterStrategy;
  retryableErrors?: (string | RegExp)[];
  retryableErrorTypes?: (new (...args: any[]) => Error)[];
}

export interface LinearRetryStrategyConfig extends Omit<RetryStrategyConfig, 'backoffRate'> {
  increment?: Duration;
}

export declare function createRetryStrategy(config?: RetryStrategyConfig): RetryStrategy;
export declare function createLinearRetryStrategy(config?: LinearRetryStrategyConfig): RetryStrategy;
export declare const retryPresets: Readonly<{ default: RetryStrategy; linear: RetryStrategy; noRetry: RetryStrategy }>;

export interface SerdesContext {
  durableExecutionArn: string;
}

export interface Serdes<T> {
  serialize(value: T | undefined, context: SerdesContext): string | undefined;
  deserialize(data: string | undefined, context: SerdesContext): T | undefined;
}

export interface StepConfig<T> {
  retryStrategy?: RetryStrategy;
  semantics?: StepSemantics;
  serdes?: Serdes<T>;
}

export interface ChildConfig<T> {
  serdes?: Serdes<T>;
}

export interface DurableLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  log(...args: unknown[]): void;
}

export interface StepContext {
  attempt: number;
  logger: DurableLogger;
}

export type StepFunc<T> = (context: StepContext) => T | Promise<T>;

export declare class DurableContext {
  readonly lambdaContext: unknown;
  /** Logs only what runs for the first time (quiet while replaying an earlier invocation). */
  readonly logger: DurableLogger;
  step<T>(name: string | undefined, fn: StepFunc<T>, config?: StepConfig<T>): Promise<T>;
  step<T>(fn: StepFunc<T>, config?: StepConfig<T>): Promise<T>;
  /** As the SDK's: `customLogger` receives the logs; `modeAware: false` logs during replay too. */
  configureLogger(config: { customLogger?: Partial<DurableLogger>; modeAware?: boolean }): void;
  wait(name: string, duration: Duration): Promise<void>;
  wait(duration: Duration): Promise<void>;
  runInChildContext<T>(name: string | undefined, fn: (context: DurableContext) => T | Promise<T>, config?: ChildConfig<T>): Promise<T>;
  runInChildContext<T>(fn: (context: DurableContext) => T | Promise<T>, config?: ChildConfig<T>): Promise<T>;
}

/** An operation failed (now or in an earlier invocation). `error` is the checkpointed ErrorObject. */
export declare class DurableOperationError extends Error {
  readonly errorClass: string;
  readonly error: { ErrorType?: string; ErrorMessage?: string; ErrorData?: string; StackTrace?: string[] };
  readonly errorData: string | undefined;
}
export declare class StepError extends DurableOperationError {}
export declare class ChildContextError extends DurableOperationError {}

export interface DurableExecutionConfig {
  /** An AWS SDK v3 Lambda or LambdaClient; default: a new LambdaClient. */
  client?: unknown;
  /** `ts` (the default: @aws/durable-execution-sdk-js 2.4.0's rules) or `unified`. */
  profile?: 'ts' | 'unified' | 'python';
  /** Receives the context loggers' output (default: console). */
  logger?: Partial<DurableLogger>;
}

export type DurableExecutionHandler<TEvent, TResult> = (event: TEvent, context: DurableContext) => Promise<TResult> | TResult;

/** The invocation output the durable-execution service reads. */
export interface DurableExecutionInvocationOutput {
  Status: 'SUCCEEDED' | 'FAILED' | 'PENDING';
  Result?: string;
  Error?: { ErrorType?: string; ErrorMessage?: string; ErrorData?: string; StackTrace?: string[] };
}

export declare function withDurableExecution<TEvent = any, TResult = any>(
  handler: DurableExecutionHandler<TEvent, TResult>,
  config?: DurableExecutionConfig,
): (event: unknown, context?: unknown) => Promise<DurableExecutionInvocationOutput>;
