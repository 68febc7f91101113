// Types of `durable-core/step`: the step state machine, the runStep driver and the service client.
// A subpath of its own, so that classify/retry users do not load (or type-check) it.

import type { Api, Category, Classification, CoreErrorFields, DurableCoreError, ProfileName, RuleId, Strategy } from './index.js';

// ---- steps: src/step.js, src/driver.js, src/service.js

/** The SDKs' StepSemantics values (the JS SDK's `StepSemantics` enum members are these strings). */
export type StepSemantics = 'AT_LEAST_ONCE_PER_RETRY' | 'AT_MOST_ONCE_PER_RETRY';

/** The step being called, as both SDKs identify it. */
export interface StepCall {
  /** The wire `Id`, already hashed (see `step.operationId`). */
  id: string;
  /** The enclosing CONTEXT's wire id; absent at the root. */
  parentId?: string | null;
  name?: string | null;
  /** Default `'AT_LEAST_ONCE_PER_RETRY'`. */
  semantics?: StepSemantics;
  /** Default `'unified'`. */
  profile?: ProfileName;
}

/** The service's ErrorObject, as checkpointed and as the core writes it. */
export interface ErrorObject {
  ErrorType?: string;
  ErrorMessage?: string;
  ErrorData?: string;
  StackTrace?: string[];
}

/**
 * The checkpointed Operation as GetDurableExecutionState, a checkpoint response or the invocation
 * input returns it. Only Type, Name, SubType, Status and StepDetails are read; timestamps may be
 * epoch milliseconds or Dates (AWS SDK v3).
 */
export interface Operation {
  Id?: string;
  Type?: string;
  Name?: string;
  SubType?: string;
  Status: 'STARTED' | 'PENDING' | 'READY' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT' | 'STOPPED';
  StepDetails?: {
    /** Finished attempts. */
    Attempt?: number;
    NextAttemptTimestamp?: number | Date;
    Result?: string;
    Error?: ErrorObject;
  };
  [other: string]: unknown;
}

/** What the host does next. */
export type StepAction =
  /** Run the user function as `attempt` (1-based); send START first if `sendStart`, and await it before running if `awaitStart`. */
  | { kind: 'execute'; attempt: number; sendStart: boolean; awaitStart: boolean }
  /** Return this serialized result (undefined: no payload, the JS SDK's undefined). */
  | { kind: 'return'; payload: string | undefined }
  /** Throw the step's error; `errorClass` is the SDK class (StepError, InvokeError, ...). */
  | { kind: 'raise'; errorClass: string; error: ErrorObject }
  /** End the invocation as PENDING; resume at `untilMs` (epoch ms; undefined: unknown). */
  | { kind: 'suspend'; untilMs: number | undefined }
  /** The checkpoint does not match this call. `expected`: this call's value; `actual`: the checkpoint's. */
  | { kind: 'non-deterministic'; field: 'Type' | 'Name' | 'SubType'; expected: string | undefined; actual: string | undefined }
  /** Let the user's error escape untouched (an unrecoverable error): no update. */
  | { kind: 'propagate' }
  /** The update would be rejected permanently (`rule`, e.g. `'step-payload-too-large'`); it was not made. Fail the execution with `error`. */
  | { kind: 'fail-execution'; rule: string; category: 'EXECUTION'; error: ErrorObject };

export interface StepPlan {
  /** OperationUpdate JSON, exactly as the profile's SDK writes it; send in order. */
  updates: string[];
  action: StepAction;
}

/** A thrown error as the core needs to see it (what `step.describeError` returns). */
export interface StepFailure {
  /** The ErrorType recorded (JS: `error.name`). */
  errorType?: string | null;
  /** The class chain the retry type filter matches, most specific first (default `[errorType]`). */
  errorTypes?: readonly string[] | null;
  message?: string | null;
  data?: string | null;
  stackTrace?: readonly string[] | null;
  /** The SDK's UnrecoverableError (`isUnrecoverable === true`): no RETRY or FAIL, the error escapes. */
  unrecoverable?: boolean;
}

/**
 * The outcome of the user function: a serialized success, a failure record, `{thrown}` (any
 * thrown value, described as the JS SDK records it) or an Error.
 */
export type StepOutcome = { success: { payload?: string | null } } | { failure: StepFailure } | { thrown: unknown } | Error;

export interface StepOptions {
  /** Epoch milliseconds. Default `Date.now()`. */
  nowMs?: number;
  /**
   * The retry strategy (for a failure, or an interrupted at-most-once step), sent as its handle; it
   * decides under its own profile. Default: the core's `default` preset under the call's profile.
   */
  strategy?: Strategy;
  /** Instead of `strategy`: the core's JSON `{config: {...snake_case}}` or `{preset: {name, interval_seconds?}}`. */
  retry?: { config: Record<string, unknown> } | { preset: { name: string; interval_seconds?: number | null } };
  /** The jitter draw in [0, 1). Default `Math.random()`. */
  random?: number;
}

export declare namespace step {
  /**
   * Decide what this step call does, given its checkpointed Operation (null/undefined on the first
   * run). One component call.
   * @throws {TypeError | RangeError} bad input, named (`call.id`, `nowMs`, `operation.Status`, ...;
   *   CoreErrorFields with `coreField` when the core rejected it).
   * @throws {DurableCoreError} the component failed.
   */
  function begin(call: StepCall, operation: Operation | null | undefined, options?: StepOptions): StepPlan;
  /** Turn attempt `attempt`'s outcome into the updates to send and the next action. One component call. */
  function complete(call: StepCall, attempt: number, outcome: StepOutcome, options?: StepOptions): StepPlan;
  /** `begin` in the core's own JSON contract (guest/src/step/api.rs): request object or verbatim JSON text in, response object out. */
  function beginJson(request: Record<string, unknown> | string, options?: { strategy?: Strategy }): { updates: string[]; action: Record<string, unknown> };
  /** `complete` in the core's own JSON contract. */
  function completeJson(request: Record<string, unknown> | string, options?: { strategy?: Strategy }): { updates: string[]; action: Record<string, unknown> };
  /**
   * The id of the `counter`-th operation (1-based) of a context. `parent` is the parent context's
   * `stepId` (null at the root). ts/unified: md5 hierarchical ids; python: blake2b.
   */
  function operationId(profile: ProfileName, parent: string | null | undefined, counter: number): { stepId: string; id: string };
  /** A thrown value as @aws/durable-execution-sdk-js 2.4.0 records it and its retry strategies see it. */
  function describeError(thrown: unknown): StepFailure;
}

/** The checkpoint client runStep talks to (LambdaServiceClient, or a test double). Failures are thrown as the transport throws them. */
export interface CheckpointClient {
  checkpoint(executionArn: string, checkpointToken: string, updates: object[]): Promise<{ token?: string; operations?: Operation[] }>;
  getState(executionArn: string, checkpointToken: string, marker?: string): Promise<{ operations?: Operation[]; nextMarker?: string }>;
}

/** The invocation's current checkpoint token; runStep moves it on after each checkpoint. */
export class CheckpointToken {
  constructor(value: string);
  value: string;
}

export interface RunStepOptions {
  executionArn: string;
  checkpointToken: string | CheckpointToken;
  call: StepCall;
  /** The user function; may be async. */
  fn: (attempt: number) => unknown;
  strategy?: Strategy;
  retry?: StepOptions['retry'];
  /** Overrides `call.profile` (rules and error classification). */
  profile?: ProfileName;
  /** Default JSON.stringify (undefined: no payload). Must return a string or undefined. */
  serialize?: (value: any) => string | undefined;
  /** Default JSON.parse. */
  deserialize?: (payload: string) => any;
  /** Epoch milliseconds. Default Date.now. */
  clock?: () => number;
  /** Given: wait in-process for a retry timer (polling the service) instead of throwing SuspendExecution. */
  sleep?: (ms: number) => Promise<unknown>;
  /** The invocation's operations by Id: read instead of GetDurableExecutionState, kept current. */
  operations?: Map<string, Operation>;
  /** The jitter draw; default Math.random() per decision. */
  random?: number;
  /** With `sleep`: the longest in-process wait before suspending. Default 900000 (15 min). */
  maxWaitMs?: number;
}

/**
 * Run one step: replay or execute, send the core's updates, and return the value (deserialized
 * from the payload, on the first run as on replay).
 * @throws {StepError} the step failed (now or earlier).
 * @throws {SuspendExecution} a retry timer is running: return `{Status: 'PENDING'}`.
 * @throws {NonDeterministicError} | {FailExecutionError} | {CheckpointFailed} | {StepSerdesError}
 * @throws the user's own unrecoverable error (`isUnrecoverable === true`), untouched.
 */
export function runStep(client: CheckpointClient, options: RunStepOptions): Promise<any>;

/** One invocation: ARN, token, and operations (InitialExecutionState paged to the end). */
export class Invocation {
  constructor(client: CheckpointClient, executionArn: string, checkpointToken: string, operations?: Iterable<Operation>);
  readonly client: CheckpointClient;
  readonly executionArn: string;
  readonly token: CheckpointToken;
  readonly operations: Map<string, Operation>;
  /** @throws {TypeError} not a durable invocation input. @throws {CheckpointFailed} paging failed. */
  static fromEvent(client: CheckpointClient, event: object, options?: { profile?: ProfileName }): Promise<Invocation>;
  step(call: StepCall, fn: (attempt: number) => unknown, options?: Omit<RunStepOptions, 'executionArn' | 'checkpointToken' | 'operations' | 'call' | 'fn'>): Promise<any>;
}

/** The step failed. `name` is the SDK class for the profile (`errorClass`). */
export class StepError extends Error {
  readonly errorClass: string;
  readonly error: ErrorObject;
  readonly errorType?: string;
  readonly errorData?: string;
  /** An Error named ErrorType with ErrorMessage, as the SDK rebuilds it. */
  readonly cause: Error;
  /** What the function threw, on the first run only. */
  readonly thrown?: unknown;
}

/** End the invocation as PENDING; the service re-invokes at `untilMs`. */
export class SuspendExecution extends Error {
  readonly untilMs: number | undefined;
}

export class NonDeterministicError extends Error {
  readonly stepId: string;
  readonly field: 'Type' | 'Name' | 'SubType';
  /** This call's value. */
  readonly expected: string | undefined;
  /** The checkpoint's value. */
  readonly actual: string | undefined;
}

/** The update would be rejected permanently; it was not sent. Fail the execution with `error`. */
export class FailExecutionError extends Error {
  readonly rule: string;
  readonly error: ErrorObject;
  readonly category: 'EXECUTION';
}

/** A service call failed; `classification` (the core's) says whether the invocation (INVOCATION) or the execution (EXECUTION) fails. */
export class CheckpointFailed extends Error {
  readonly classification: Classification;
  readonly api: Api;
  readonly category: Category;
  readonly retryable: boolean;
  readonly rule: RuleId;
  /** The client's error. */
  readonly cause: unknown;
}

/** serialize/deserialize threw or gave a non-string; nothing was sent for the outcome. */
export class StepSerdesError extends Error {
  readonly stepId: string;
  readonly phase: 'serialize' | 'deserialize';
}

/**
 * CheckpointClient over an AWS SDK v3 Lambda client: an aggregated `Lambda` (its methods) or a bare
 * `LambdaClient` (send, with `commands` or @aws-sdk/client-lambda imported on first use).
 * durable-core does not depend on @aws-sdk/client-lambda.
 */
export class LambdaServiceClient implements CheckpointClient {
  constructor(
    lambda: object,
    options?: { commands?: { CheckpointDurableExecutionCommand: new (input: any) => unknown; GetDurableExecutionStateCommand: new (input: any) => unknown }; maxItems?: number },
  );
  checkpoint(executionArn: string, checkpointToken: string, updates: Array<object | string>, options?: { clientToken?: string }): Promise<{ token?: string; operations: Operation[]; nextMarker?: string }>;
  getState(executionArn: string, checkpointToken: string, marker?: string): Promise<{ operations: Operation[]; nextMarker?: string }>;
}

