// Types of the public API. The enums come from the types jco generates from the WIT, so a WIT
// change shows up here without restating it.

import type { Api, Rule } from '../gen/interfaces/durable-core-classify.js';
import type { EffectiveConfig as CoreEffectiveConfig, Outcome, StrategyConfig } from '../gen/interfaces/durable-core-retry.js';
import type { ErrorKind, Profile } from '../gen/interfaces/durable-core-types.js';

export type { Api, Profile };

/**
 * A profile by name: a family alias (`'python'`, `'ts'`: the family's newest release), a release
 * profile (`'python@3.0.0'`, `'ts@2.4.0'`; the full list is {@link profiles}) or `'unified'`.
 * Unknown names are a RangeError naming `profile`.
 */
export type ProfileName = Profile | 'python@3.0.0' | 'ts@2.4.0' | (string & {});

/** One profile, named after the SDK release it reproduces (the core's own table). */
export interface ProfileInfo {
  /** `'python@3.0.0'`, `'ts@2.4.0'` or `'unified'`. */
  readonly name: string;
  /** Its rule family (the retry and step rules are per family). */
  readonly family: Profile;
  /** The family name when this is the family's newest release, else null. */
  readonly alias: string | null;
  /** What it reproduces, for a person. */
  readonly reproduces: string;
  /** Its release id in `classify-packed` (index + 1). */
  readonly releaseId: number;
}

/** Every profile the loaded core knows, oldest release of each family first. Frozen; read once. */
export function profiles(): readonly ProfileInfo[];

/** A rule's id: the WIT `rule` enum case, e.g. `'stale-checkpoint-token'`. */
export type RuleId = Rule;

/**
 * INVOCATION: fail the Lambda invocation; the service re-invokes and the execution continues.
 * EXECUTION: permanent; the handler returns FAILED and the execution ends.
 */
export type Category = 'INVOCATION' | 'EXECUTION';

/** A failed CheckpointDurableExecution or GetDurableExecutionState call. */
export interface ApiFailure {
  /** Which call failed. Default `'checkpoint'`. */
  api?: Api;
  /**
   * HTTP status; absent, null or 0 means no HTTP response. Anything but an integer 0..65535 (text
   * such as `'429'`, a fraction, a number out of range, NaN) is read as the JS SDK reads
   * `$metadata.httpStatusCode`: as `Number()` converts it (ts@2.4.0 also keeps its strict
   * `!== 429`, so the text `'429'` is a client error there).
   */
  status?: number | string | null;
  /** The AWS error code (AWS SDK v3 `name`, botocore `Error.Code`). */
  code?: string | null;
  /** The error message. */
  message?: string | null;
  /** Which rule set to apply. Default `'unified'`. */
  profile?: ProfileName;
  /** The scope the transport stated; honoured before any other rule. Default null. */
  statedScope?: Category | null;
  /**
   * The fields were read from an error the thrown one wraps (`cause`). ts@2.4.0 and python@3.0.0
   * read only the thrown error, so they then see a failure without an HTTP response. Default false.
   */
  wrapped?: boolean;
}

export interface ClassifyOptions {
  /** Default `'checkpoint'`. */
  api?: Api;
  /** Default `'unified'`. */
  profile?: ProfileName;
}

/** The answer. Shared and frozen: one object per rule. */
export interface Classification {
  readonly category: Category;
  /** True exactly when `category` is `'INVOCATION'`. */
  readonly retryable: boolean;
  /** The rule that decided. */
  readonly rule: RuleId;
}

/** One row of the core's rule table. */
export interface RuleInfo {
  readonly id: RuleId;
  readonly category: Category;
  readonly retryable: boolean;
  /** One line for a person. */
  readonly summary: string;
}

export interface CoreInfo {
  /** The Rust crate's version. */
  readonly crateVersion: string;
  /** The WIT package's version. */
  readonly witVersion: string;
  /** Bumped whenever any rule's observable behaviour changes. */
  readonly rulesVersion: number;
}

/**
 * Classify a failed API call.
 *
 * @throws {TypeError} a field of the wrong type (`status` not a number, string or null;
 *   `code`/`message` not a string; `api`/`profile`/`statedScope` not a string; `wrapped` not a
 *   boolean; `failure` not an object). Carries {@link InputErrorFields}.
 * @throws {RangeError} a `status` text that is not well-formed Unicode, or an unknown
 *   `api`/`profile`/`statedScope`. Carries {@link InputErrorFields}.
 * @throws {DurableCoreError} the component failed to load or trapped.
 */
export function classifyApiError(failure?: ApiFailure): Classification;

/**
 * Classify an error thrown by an AWS SDK v3 call, reading the fields
 * @aws/durable-execution-sdk-js 2.4.0 reads: `$metadata.httpStatusCode` (status), `name` (code)
 * and `message`, which falls back to `String(err)` for a thrown non-Error. A thrown non-object
 * therefore has no status and no code.
 *
 * @throws {TypeError | RangeError} one of those fields holds a value of the wrong type or range;
 *   `field` names it as read (`err.$metadata.httpStatusCode`, `err.name`, `err.message`).
 * @throws {DurableCoreError} the component failed to load or trapped.
 */
export function classifyError(err: unknown, options?: ClassifyOptions): Classification;
// classifyError walks `err` and its `cause`s (at most 32 links; a cycle ends the walk) and reads
// the first link that states a scope (a DurableExecutionClientError, recognised structurally as
// the JS SDK does) or has the AWS SDK v3 shape (`$metadata`); a link below `err` is `wrapped`.
// With none, `err`'s own fields are read, unless the root cause is a TypeError or ReferenceError
// (a programming error, e.g. a transport that is not a client): then it throws a TypeError
// naming `err`, never a classification Lambda would retry until the timeout.

/** The core's rule table, indexed by rule discriminant (WIT enum order). Frozen; read once per process. */
export function rules(): readonly RuleInfo[];

/** Versions of the loaded core. Frozen; read once per process. */
export function coreInfo(): CoreInfo;

/** The properties every input-validation `TypeError` / `RangeError` from this package carries. */
export interface InputErrorFields {
  /** The offending field, e.g. `'status'`, `'err.name'`, `'maxAttempts'`. */
  field: string;
  /**
   * The offending value: as given when the host rejected it; the core's rendering of it (a
   * string) when the core did (see {@link CoreErrorFields}).
   */
  value: unknown;
  /**
   * `'wrong-type'` for a TypeError raised by the host; otherwise a WIT error-kind
   * (`'out-of-range'`, `'invalid-value'`, `'malformed'`; `'missing'` comes as a TypeError).
   */
  kind: 'wrong-type' | ErrorKind;
}

/**
 * What the `retry` and `aws` errors add: the core's name for the field. A rejection by the core
 * (the WIT `error` record) is a RangeError (TypeError for kind `'missing'`) whose message is
 * `<field>: <the core's message> (got <the core's rendering of the value>)`.
 */
export interface CoreErrorFields extends InputErrorFields {
  /** The field as the WIT names it (`'max-attempts'`, `'initial-delay-seconds'`, `'preset'`, ...), when it has one. */
  coreField?: string;
}

/** The component failed: it could not be loaded, trapped, or answered outside its contract. */
export class DurableCoreError extends Error {
  constructor(message: string, options: { kind: DurableCoreErrorKind; cause?: unknown });
  readonly name: 'DurableCoreError';
  /**
   * `'trap'`: a component call threw (the instance was dropped; the next call gets a fresh one).
   * `'load'`: the component could not be compiled or instantiated (retried on the next call).
   * `'contract'`: the core returned a value its own contract rules out.
   */
  readonly kind: DurableCoreErrorKind;
  /** The original exception (e.g. a `WebAssembly.RuntimeError`). */
  readonly cause?: unknown;
}

export type DurableCoreErrorKind = 'trap' | 'load' | 'contract';

/**
 * A JS SDK Duration (`{days?, hours?, minutes?, seconds?}`, summed as the SDK's durationToSeconds
 * does; a missing, undefined or null unit counts 0) or a plain number of seconds.
 */
export type DurationLike = number | { days?: number | null; hours?: number | null; minutes?: number | null; seconds?: number | null };

/** The JS SDK's JitterStrategy values. */
export type Jitter = 'NONE' | 'FULL' | 'HALF';

/** Options both backoffs take. An undefined (or null) option is unset: the core applies its default. */
export interface CommonRetryOptions {
  /** Total attempts including the first; a whole number >= 1. Default 3 (exponential) / 6 (linear). */
  maxAttempts?: number;
  /** Default 5 s (exponential) / 1 s (linear). */
  initialDelay?: DurationLike;
  /** Caps the base delay before jitter. Default 300 s. */
  maxDelay?: DurationLike;
  /** Default `'FULL'`. */
  jitter?: Jitter;
  /**
   * Message filters, matched against `error.message`: a string is a substring, a RegExp is run
   * by the core (a documented subset; flags `g` and `y` and unsupported constructs are rejected).
   * Unset together with `retryableErrorTypes`: every error is retried; `[]` retries none.
   */
  retryableErrors?: ReadonlyArray<string | RegExp>;
  /** Error classes (or class names), matched by name against the error's class chain. */
  retryableErrorTypes?: ReadonlyArray<(abstract new (...args: any[]) => Error) | string>;
}

export interface ExponentialRetryOptions extends CommonRetryOptions {
  /** base = initialDelay * backoffRate^(attemptsMade - 1). Default 2. */
  backoffRate?: number;
}

export interface LinearRetryOptions extends CommonRetryOptions {
  /** base = initialDelay + increment * (attemptsMade - 1). Default 1 s. */
  increment?: DurationLike;
}

/** A configuration in the core's terms: the WIT `strategy-config` record, frozen, unset fields absent. */
export type CoreRetryConfig = Readonly<StrategyConfig>;

/** A preset, resolved by the core under the strategy's profile. */
export interface PresetRetryConfig {
  /** The core's name (`'no-retry'`, `'resource-availability'`, ...). */
  readonly preset: string;
  /** `fixed` only. */
  readonly intervalSeconds?: number;
}

/** What `retry.exponential/linear/preset/fromCoreConfig` return. */
export type RetryConfig = CoreRetryConfig | PresetRetryConfig;

/** The JS SDK's preset names, and the core's (kebab-case) spellings. */
export type PresetName =
  | 'default' | 'noRetry' | 'no-retry' | 'linear'
  | 'transient' | 'resourceAvailability' | 'resource-availability' | 'critical' | 'fixed';

/** The configuration with every default filled in (the WIT `effective-config`). */
export type EffectiveRetryConfig = Readonly<CoreEffectiveConfig>;

export interface RetryDecision {
  readonly outcome: Outcome;
  /** Whole seconds before the next attempt (>= 1) when retrying, else 0. A safe integer. */
  readonly delaySeconds: number;
  /** `outcome === 'retry'`. */
  readonly shouldRetry: boolean;
}

/**
 * A strategy compiled once in the core (regexes included) at its first decision; released when
 * collected, or at once with `release()`.
 */
export interface Strategy {
  readonly profile: Profile;
  /** The config it was created from. */
  readonly config: RetryConfig;
  /** Every default filled in, as the core resolved it, for display. */
  readonly effective: EffectiveRetryConfig;
  /**
   * Decide for `error`, thrown by attempt `attemptsMade` (1-based). The text matched is
   * `error.message`; the types are the names of its prototype chain's constructors. A value that is
   * not an Error is treated as the JS SDK's step handler treats it: as `new Error("Unknown Error")`.
   * Without `random`, Math.random() is drawn only when the decision uses it (a retry with FULL or
   * HALF jitter), as the JS SDK does.
   *
   * @throws {TypeError} `attemptsMade` or `random` not a number (CoreErrorFields).
   * @throws {RangeError} the core rejected `attemptsMade` (a whole number >= 1) or `random` ([0, 1)).
   * @throws {DurableCoreError} the component failed.
   */
  decide(error: unknown, attemptsMade: number, options?: { random?: number }): RetryDecision;
  /**
   * Free the compiled form in the core now (a FinalizationRegistry only runs after the event loop
   * turns). The strategy stays usable: its next decision compiles it again.
   */
  release(): void;
}

export declare namespace retry {
  /** Exponential backoff. @throws {TypeError | RangeError} a bad option, named (CoreErrorFields). */
  function exponential(options?: ExponentialRetryOptions): CoreRetryConfig;
  /** Linear backoff. @throws {TypeError | RangeError} a bad option, named (CoreErrorFields). */
  function linear(options?: LinearRetryOptions): CoreRetryConfig;
  /**
   * A preset. `transient`, `resourceAvailability`, `critical` and `fixed` are the Python SDK's:
   * the core accepts them under the `python` and `unified` profiles only (createStrategy throws
   * under `ts`). `interval` is for `fixed` (default 5 s).
   * @throws {TypeError | RangeError} an unknown name (`field` `'name'`), an interval on another preset.
   */
  function preset(name: PresetName | (string & {}), options?: { interval?: DurationLike }): PresetRetryConfig;
  /** A config in the core's own terms, for tools that speak the WIT (e.g. the conformance vectors). */
  function fromCoreConfig(config: Partial<StrategyConfig>): CoreRetryConfig;
  /**
   * Compile a config in the core under `profile` (default `'unified'`). A plain object is taken as
   * `exponential()` options (the JS SDK's createRetryStrategy config); undefined is every default.
   * @throws {TypeError | RangeError} a bad config or profile (CoreErrorFields).
   * @throws {DurableCoreError} the component failed.
   */
  function createStrategy(config?: RetryConfig | ExponentialRetryOptions, options?: { profile?: ProfileName }): Strategy;
  /** One decision with the core's inputs as they are: the message and the class names, most specific first. */
  function decideRaw(
    strategy: Strategy,
    inputs: { attemptsMade: number; random?: number; message?: string; errorTypes?: readonly string[] },
  ): RetryDecision;
}

/** The decision shape of @aws/durable-execution-sdk-js (RetryDecision). */
export interface AwsRetryDecision {
  shouldRetry: boolean;
  /** Present when retrying. */
  delay?: { seconds: number };
}

export declare namespace aws {
  /**
   * A `retryStrategy` for @aws/durable-execution-sdk-js step configs. `config`: a `retry.*` config
   * or the options of the SDK's own createRetryStrategy. The default profile `'ts'` reproduces the
   * SDK's decisions. Compiled and validated now.
   * @throws {TypeError | RangeError} a bad config (CoreErrorFields).
   */
  function createRetryStrategy(
    config?: RetryConfig | ExponentialRetryOptions,
    options?: { profile?: ProfileName },
  ): (error: Error, attemptsMade: number) => AwsRetryDecision;

  /**
   * A `DurableExecutionClient` for @aws/durable-execution-sdk-js (`withDurableExecution(handler,
   * { durableExecutionClient })`): CheckpointDurableExecution / GetDurableExecutionState through
   * `lambda` (an AWS SDK v3 `LambdaClient`); a failed call throws the SDK's
   * `DurableExecutionClientError` with the scope durable-core's classifier gives it (the original
   * error as `cause`, its `name` and `message` kept; the core's result as `classification`). Default profile `'unified'`;
   * `'ts'` reproduces the SDK's own classification.
   * @throws {TypeError | RangeError} a bad `lambda`, `commands` or `profile` (CoreErrorFields).
   */
  function createDurableExecutionClient(
    lambda: { send(command: unknown): Promise<unknown> },
    options?: {
      profile?: Profile;
      /** The command classes; default: imported from `@aws-sdk/client-lambda` on first use. */
      commands?: {
        CheckpointDurableExecutionCommand: new (input: object) => unknown;
        GetDurableExecutionStateCommand: new (input: object) => unknown;
      };
    },
  ): AwsDurableExecutionClient;
}

/** The DurableExecutionClient shape of @aws/durable-execution-sdk-js (2.4.0). */
export interface AwsDurableExecutionClient {
  getExecutionState(params: {
    DurableExecutionArn: string;
    CheckpointToken: string;
    Marker?: string;
    MaxItems?: number;
  }): Promise<any>;
  checkpoint(params: {
    DurableExecutionArn: string;
    CheckpointToken: string;
    ClientToken?: string;
    Updates?: object[];
  }): Promise<any>;
}
