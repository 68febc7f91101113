// Types of the public API. The enums come from the types jco generates from the WIT, so a WIT
// change shows up here without restating it.

import type { Api, Rule } from '../gen/interfaces/durable-core-classify.js';
import type { EffectiveConfig as CoreEffectiveConfig, Outcome, StrategyConfig } from '../gen/interfaces/durable-core-retry.js';
import type { ErrorKind, Profile } from '../gen/interfaces/durable-core-types.js';

export type { Api, Profile };

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
  /** HTTP status, an integer 0..65535; absent, null or 0 means no HTTP response. */
  status?: number | null;
  /** The AWS error code (AWS SDK v3 `name`, botocore `Error.Code`). */
  code?: string | null;
  /** The error message. */
  message?: string | null;
  /** Which rule set to apply. Default `'unified'`. */
  profile?: Profile;
}

export interface ClassifyOptions {
  /** Default `'checkpoint'`. */
  api?: Api;
  /** Default `'unified'`. */
  profile?: Profile;
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
 * @throws {TypeError} a field of the wrong type (`status` not a number; `code`/`message` not a
 *   string; `api`/`profile` not a string; `failure` not an object). Carries {@link InputErrorFields}.
 * @throws {RangeError} `status` not an integer 0..65535, or an unknown `api`/`profile`.
 *   Carries {@link InputErrorFields}.
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
  function createStrategy(config?: RetryConfig | ExponentialRetryOptions, options?: { profile?: Profile }): Strategy;
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
    options?: { profile?: Profile },
  ): (error: Error, attemptsMade: number) => AwsRetryDecision;
}
