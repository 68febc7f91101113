// One step call as the core decides it: replay or execute, the exact updates, retry or fail.
//
// The rules live in the component (WIT interface `step`, JSON contract in
// guest/src/step/api.rs). This module validates the host-side values, builds the request, makes
// ONE component call per phase and turns the answer into plain JS values. It does no I/O: the
// caller sends the updates and runs the user function (runStep in driver.js does both).
//
//   const call = { id: step.operationId('ts', null, 1).id, name: 'charge', profile: 'ts' };
//   const plan = step.begin(call, null);
//   // plan.action: { kind: 'execute', attempt: 1, sendStart: true, awaitStart: false }
//   const done = step.complete(call, 1, { success: { payload: '"ok"' } });
//   // done.updates: ['{"Type":"STEP","Action":"SUCCEED","Id":...,"Payload":"\"ok\"",...}']

import { core, trapped } from './component.js';
import { DurableCoreError, badValue, wrongType } from './errors.js';
import { strategyHandle } from './retry.js';
import { profileFamily } from './profiles.js';

// The SDK's StepSemantics enum has these values, so its members are accepted as they are.
const SEMANTICS = new Set(['AT_LEAST_ONCE_PER_RETRY', 'AT_MOST_ONCE_PER_RETRY']);
// The operation fields the core reads (guest/src/step/wire.rs); anything else is left out of the
// request, so a service record with Dates, payloads or unknown details passes through unharmed.
const OPERATION_FIELDS = ['Type', 'Name', 'SubType', 'ParentId', 'Status'];
const STEP_DETAIL_FIELDS = ['Attempt', 'NextAttemptTimestamp', 'Result', 'Error'];
const U32_MAX = 0xffffffff;

// A retry Strategy (src/retry.js) goes to the core as its handle in the live instance (registered
// again there after a trap), so its compiled form (regexes included) is reused; it decides under
// its own profile.

// ---- the public calls

export function begin(call, operation, options = {}) {
  const request = baseRequest(call, options);
  if (operation != null) request.operation = operationJson(operation);
  return plan(send('begin', request, options.strategy));
}

export function complete(call, attempt, outcome, options = {}) {
  const request = baseRequest(call, options);
  if (typeof attempt !== 'number') throw wrongType('attempt', attempt, 'a whole number >= 1');
  if (!Number.isFinite(attempt)) throw badValue('attempt', attempt, 'a whole number >= 1', 'out-of-range');
  request.attempt = attempt;
  request.outcome = outcomeJson(outcome);
  return plan(send('complete', request, options.strategy));
}

/** `begin` in the core's own JSON contract: a request object (or verbatim JSON text) in, the response object out. */
export function beginJson(request, options = {}) {
  return checked(send('begin', request, options.strategy));
}

/** `complete` in the core's own JSON contract; see beginJson. */
export function completeJson(request, options = {}) {
  return checked(send('complete', request, options.strategy));
}

/** The id of the `counter`-th operation (1-based) of a context; `parent` is the parent context's stepId. */
export function operationId(profile = 'unified', parent = null, counter) {
  const family = checkProfile(profile);
  if (parent != null && typeof parent !== 'string') throw wrongType('parent', parent, 'a string or null');
  // Encoding would replace a lone surrogate (U+FFFD), and not the way the Python host would.
  if (parent != null && !parent.isWellFormed()) throw badValue('parent', parent, 'text without lone surrogates');
  if (typeof counter !== 'number') throw wrongType('counter', counter, `a whole number 1..${U32_MAX}`);
  if (!(Number.isInteger(counter) && counter >= 0 && counter <= U32_MAX)) {
    throw badValue('counter', counter, `a whole number 1..${U32_MAX}`, 'out-of-range');
  }
  const { root } = core();
  try {
    const { stepId, id } = root.step.operationId(family, parent ?? undefined, counter);
    return { stepId, id };
  } catch (cause) {
    // An `err` result comes back as jco's ComponentError carrying the core's error record.
    if (isCoreErrorRecord(cause?.payload)) throw coreError(cause.payload);
    throw trapped('step#operation-id', cause);
  }
}

/**
 * Describe a thrown value as @aws/durable-execution-sdk-js 2.4.0 records it
 * (createErrorObjectFromError) and as its retry strategies see it, for `complete`'s `failure`.
 */
export function describeError(thrown) {
  // The SDK's own operation errors serialize themselves (errorType, message, errorData).
  if (thrown instanceof Error && typeof thrown.toErrorObject === 'function' && hasClass(thrown, 'DurableOperationError')) {
    const object = thrown.toErrorObject() ?? {};
    return {
      errorType: asText(object.ErrorType),
      errorTypes: classChain(thrown),
      message: asText(object.ErrorMessage),
      data: asText(object.ErrorData),
      unrecoverable: false,
    };
  }
  if (isErrorLike(thrown)) {
    return {
      errorType: asText(thrown.name),
      // The SDK hands a non-Error to the retry strategy as `new Error("Unknown Error")`.
      errorTypes: thrown instanceof Error ? classChain(thrown) : ['Error'],
      message: asText(thrown.message),
      unrecoverable: thrown instanceof Error && thrown.isUnrecoverable === true,
    };
  }
  // A thrown non-Error value: no type; the core records the SDK's "Unknown error".
  return { errorTypes: ['Error'], unrecoverable: false };
}

// ---- request building

function baseRequest(call, options) {
  if (typeof call !== 'object' || call === null) throw wrongType('call', call, 'an object {id, parentId, name, semantics, profile}');
  if (typeof options !== 'object' || options === null) throw wrongType('options', options, 'an object');
  const { id, parentId = null, name = null, semantics = 'AT_LEAST_ONCE_PER_RETRY', profile = 'unified' } = call;
  if (typeof id !== 'string') throw wrongType('call.id', id, 'a string (the wire Id)');
  if (parentId !== null && typeof parentId !== 'string') throw wrongType('call.parentId', parentId, 'a string or null');
  if (name !== null && typeof name !== 'string') throw wrongType('call.name', name, 'a string or null');
  if (!SEMANTICS.has(semantics)) {
    const expected = '"AT_LEAST_ONCE_PER_RETRY" or "AT_MOST_ONCE_PER_RETRY"';
    throw typeof semantics === 'string' ? badValue('call.semantics', semantics, expected) : wrongType('call.semantics', semantics, expected);
  }
  checkProfile(profile, 'call.profile');
  const { nowMs = Date.now(), random = Math.random(), retry } = options;
  // NaN and the infinities do not survive JSON, so they are caught here; the core checks ranges.
  if (typeof nowMs !== 'number') throw wrongType('nowMs', nowMs, 'epoch milliseconds (a number)');
  if (!Number.isFinite(nowMs)) throw badValue('nowMs', nowMs, 'finite epoch milliseconds', 'out-of-range');
  if (typeof random !== 'number') throw wrongType('random', random, 'a number in [0, 1)');
  if (!Number.isFinite(random)) throw badValue('random', random, 'a number in [0, 1)', 'out-of-range');
  const request = { profile, id, parent_id: parentId, name, semantics, now_ms: nowMs, random };
  if (retry != null) {
    if (options.strategy != null) throw badValue('retry', retry, 'no inline retry when a strategy is given');
    if (typeof retry !== 'object' || Array.isArray(retry)) throw wrongType('retry', retry, 'an object {config} or {preset}');
    request.retry = retry;
  }
  return request;
}

/** The family of a profile name (release names accepted; the core reads them in step JSON too). */
function checkProfile(profile, field = 'profile') {
  return profileFamily(profile, field);
}

/** The fields the core reads, with Dates (AWS SDK v3) as epoch milliseconds. */
function operationJson(operation) {
  if (typeof operation !== 'object' || Array.isArray(operation)) {
    throw wrongType('operation', operation, "the service's Operation (an object) or null");
  }
  const out = {};
  for (const key of OPERATION_FIELDS) if (operation[key] !== undefined) out[key] = operation[key];
  const details = operation.StepDetails;
  if (details != null && typeof details === 'object' && !Array.isArray(details)) {
    const picked = {};
    for (const key of STEP_DETAIL_FIELDS) if (details[key] !== undefined) picked[key] = details[key];
    if (picked.NextAttemptTimestamp instanceof Date) picked.NextAttemptTimestamp = picked.NextAttemptTimestamp.getTime();
    out.StepDetails = picked;
  } else if (details !== undefined) {
    out.StepDetails = details; // the core names the wrong type
  }
  return out;
}

function outcomeJson(outcome) {
  if (typeof outcome === 'object' && outcome !== null && !(outcome instanceof Error)) {
    if (Object.hasOwn(outcome, 'success')) {
      const success = outcome.success ?? {};
      const payload = success.payload ?? null;
      if (payload !== null && typeof payload !== 'string') throw wrongType('outcome.success.payload', payload, 'a string or undefined');
      return { success: { payload } };
    }
    if (Object.hasOwn(outcome, 'failure')) return { failure: failureJson(outcome.failure) };
    if (Object.hasOwn(outcome, 'thrown')) return { failure: failureJson(describeError(outcome.thrown)) };
  }
  if (isErrorLike(outcome)) return { failure: failureJson(describeError(outcome)) };
  throw wrongType('outcome', outcome, '{success: {payload}}, {failure: {...}}, {thrown: value} or an Error');
}

function failureJson(failure) {
  if (typeof failure !== 'object' || failure === null) throw wrongType('outcome.failure', failure, 'an object');
  const { errorType = null, errorTypes, message = null, data = null, stackTrace, unrecoverable = false } = failure;
  for (const [field, value] of [
    ['errorType', errorType],
    ['message', message],
    ['data', data],
  ]) {
    if (value !== null && typeof value !== 'string') throw wrongType(`outcome.failure.${field}`, value, 'a string or null');
  }
  if (typeof unrecoverable !== 'boolean') throw wrongType('outcome.failure.unrecoverable', unrecoverable, 'a boolean');
  return {
    error_type: errorType,
    // Absent: the core takes [error_type]; an empty chain would match no type filter.
    error_types: stringList('outcome.failure.errorTypes', errorTypes, true),
    message,
    data,
    stack_trace: stringList('outcome.failure.stackTrace', stackTrace, false),
    unrecoverable,
  };
}

function stringList(field, list, emptyIsAbsent) {
  if (list == null) return null;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw wrongType(field, list, 'a list of strings');
  return emptyIsAbsent && list.length === 0 ? null : list;
}

// ---- the call and its answer

function send(fn, request, strategy) {
  let text;
  const live = core();
  if (typeof request === 'string') {
    if (strategy != null) throw badValue('strategy', strategy, 'no strategy when the request is given as JSON text');
    // Encoding would replace a lone surrogate (and change the ids derived from the text), and
    // not the way other hosts would: reject it like the core rejects an escaped one.
    if (!request.isWellFormed()) throw badValue('request', request, 'JSON text without lone surrogates');
    text = request;
  } else if (typeof request === 'object' && request !== null && !Array.isArray(request)) {
    if (strategy != null) request = { ...request, strategy: handleFor(strategy, live) };
    try {
      text = JSON.stringify(request);
    } catch (error) {
      throw wrongType('request', request, `JSON-serializable values (${error.message})`);
    }
  } else {
    throw wrongType('request', request, 'an object or JSON text');
  }
  let answer;
  try {
    answer = live.root.step[fn](text);
  } catch (cause) {
    throw trapped(`step#${fn}`, cause);
  }
  try {
    return JSON.parse(answer);
  } catch (cause) {
    throw new DurableCoreError(`durable-core: step#${fn} answered with invalid JSON`, { kind: 'contract', cause });
  }
}

function handleFor(strategy, live) {
  const handle = strategyHandle(strategy, live);
  if (handle === undefined) throw wrongType('strategy', strategy, 'a retry Strategy (retry.createStrategy) or undefined');
  return handle;
}

function checked(response) {
  if (response.error !== undefined) throw coreError(response.error);
  return response;
}

function plan(response) {
  if (response.error !== undefined) throw coreError(response.error);
  return { updates: response.updates, action: action(response.action) };
}

function action(a) {
  switch (a?.kind) {
    case 'execute':
      return { kind: 'execute', attempt: a.attempt, sendStart: a.send_start, awaitStart: a.await_start };
    case 'return':
      return { kind: 'return', payload: a.payload ?? undefined };
    case 'raise':
      return { kind: 'raise', errorClass: a.error_class, error: a.error };
    case 'suspend':
      return { kind: 'suspend', untilMs: a.until_ms ?? undefined };
    case 'non-deterministic':
      return { kind: 'non-deterministic', field: a.field, expected: a.expected ?? undefined, actual: a.actual ?? undefined };
    case 'propagate':
      return { kind: 'propagate' };
    case 'fail-execution':
      return { kind: 'fail-execution', rule: a.rule, category: a.category, error: a.error };
    default:
      throw new DurableCoreError(`durable-core answered with an unknown step action ${JSON.stringify(a?.kind)}`, { kind: 'contract' });
  }
}

function isCoreErrorRecord(value) {
  return typeof value === 'object' && value !== null && typeof value.field === 'string' && typeof value.kind === 'string';
}

/** The core's error record as a TypeError (missing) or RangeError, named for JS and for the core. */
export function coreError({ kind, field: coreField = '', value, message }) {
  // Core names are dashed (now-ms, outcome.failure.error-type); the JS API's are camelCase.
  const field = coreField.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  const text = `${field}: ${message} (got ${value})${field === coreField ? '' : ` [durable-core field ${coreField}]`}`;
  const error = kind === 'missing' ? new TypeError(text) : new RangeError(text);
  return Object.assign(error, { field, coreField, value, kind });
}

// ---- describing thrown values

function isErrorLike(value) {
  return value instanceof Error || (typeof value === 'object' && value !== null && 'message' in value && 'name' in value);
}

/** The constructor names along the prototype chain, most specific first, up to Object. */
function classChain(error) {
  const names = [];
  for (let proto = Object.getPrototypeOf(error); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const name = Object.hasOwn(proto, 'constructor') ? proto.constructor?.name : undefined;
    if (typeof name === 'string' && name && !names.includes(name)) names.push(name);
  }
  return names.length ? names : ['Error'];
}

function hasClass(error, name) {
  return classChain(error).includes(name);
}

function asText(value) {
  if (value == null) return null;
  if (typeof value === 'string') return value;
  try {
    return String(value);
  } catch {
    return null; // e.g. a null-prototype object: no text rather than a crash in an error path
  }
}

/** The step API: `step.begin`, `step.complete`, the JSON passthroughs and operation ids. */
export const step = Object.freeze({ begin, complete, beginJson, completeJson, operationId, describeError });
