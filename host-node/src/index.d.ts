// Types of the public API. The enums come from the types jco generates from the WIT, so a WIT
// change shows up here without restating it.

import type { Api, Rule } from '../gen/interfaces/durable-core-classify.js';
import type { Profile } from '../gen/interfaces/durable-core-types.js';

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
  /** The offending field, e.g. `'status'` or `'err.name'`. */
  field: string;
  /** The offending value, as given. */
  value: unknown;
  /** `'wrong-type'` for a TypeError; a WIT error-kind (`'out-of-range'`, `'invalid-value'`) for a RangeError. */
  kind: 'wrong-type' | 'out-of-range' | 'invalid-value';
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
