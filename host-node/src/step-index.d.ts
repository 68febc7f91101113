// Types of `durable-core/step`: the step state machine, the invocation engine and its Lambda transport.
// A subpath of its own, so that classify/retry users do not load (or type-check) it.

import type { Api, Category, Classification, CoreErrorFields, DurableCoreError, ProfileName, RuleId, Strategy } from './index.js';

// ---- steps: src/step.js

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

// ---- the invocation engine: src/invocation.js, src/service.js

/** What a transport answers: the response body in the service's JSON shape (epoch-ms timestamps). */
export type ResponseBody = Record<string, unknown>;

/** CheckpointDurableExecution and GetDurableExecutionState; failures thrown as the client throws them. */
export interface Transport {
  checkpoint(executionArn: string, checkpointToken: string, updates: Record<string, unknown>[]): Promise<ResponseBody>;
  getState(executionArn: string, checkpointToken: string, marker: string, maxItems: number): Promise<ResponseBody>;
  /** Optional: describe a failure this transport threw (default: failureReport(error)). */
  describeFailure?(error: unknown): Record<string, unknown>;
}

export interface Serdes {
  serialize(value: unknown): string | undefined | Promise<string | undefined>;
  deserialize(text: string): unknown;
}

export interface EngineOptions {
  /** `unified` (default), `python`, `ts` or a release name. */
  profile?: string;
  /** Epoch milliseconds (default Date.now). */
  clock?: () => number;
  /** A draw in [0, 1) (default Math.random); asked for only for a jittered retry. */
  random?: () => number;
  /** Send updates nothing waits for once the event loop turns (default true). */
  idleFlush?: boolean;
}

export interface DurableExecutionInvocationOutput {
  Status: 'SUCCEEDED' | 'FAILED' | 'PENDING';
  Result?: string;
  Error?: ErrorObject;
}

/** One invocation run by the core; this class is only its I/O. Contexts are numbers (0: the root). */
export class Engine {
  static open(envelope: unknown, transport: Transport, options?: EngineOptions): Promise<Engine>;
  readonly profile: string;
  readonly arn: string;
  /** The user's input as JSON text. */
  readonly inputText: string;
  readonly replaying: boolean;
  /** The invocation ended before its handler could run (a failed state read). */
  readonly stopped: boolean;
  step(context: number, name: string | null | undefined, fn: (attempt: number) => unknown, options?: {
    serdes?: Serdes; semantics?: StepSemantics; strategy?: unknown; retry?: unknown;
  }): Promise<unknown>;
  wait(context: number, name: string | null | undefined, seconds: number): Promise<void>;
  child(context: number, name: string | null | undefined, fn: (context: number) => unknown, options?: { serdes?: Serdes }): Promise<unknown>;
  replayingIn(context: number): boolean;
  pump(target?: number): Promise<void>;
  finishReturn(result: string | undefined): Promise<DurableExecutionInvocationOutput>;
  finishThrow(error: unknown): Promise<DurableExecutionInvocationOutput>;
  finishSuspend(): Promise<DurableExecutionInvocationOutput>;
  finishStopped(): Promise<DurableExecutionInvocationOutput>;
  close(): void;
}

/** The invocation fails so that Lambda retries it. */
export class InvocationFailed extends Error {
  readonly rule: string;
}
/** An operation failed: raised into the user's code as the profile's class. */
export class OperationError extends Error {
  readonly errorClass: string;
  readonly error: ErrorObject;
}
/** Unwinds the handler: the operation cannot complete in this invocation. */
export class Suspended extends Error {}
/** Unwinds the handler: the invocation is over. */
export class Stopped extends Error {}
/** A transport throws this for a 200 whose body is not JSON. */
export class UnreadableResponse extends Error {}

/** The engine's transport over an AWS SDK v3 `Lambda` or `LambdaClient`. */
export class LambdaTransport implements Transport {
  constructor(lambda: unknown, options?: { commands?: Record<string, unknown> });
  checkpoint(executionArn: string, checkpointToken: string, updates: Record<string, unknown>[]): Promise<ResponseBody>;
  getState(executionArn: string, checkpointToken: string, marker: string, maxItems?: number): Promise<ResponseBody>;
}
