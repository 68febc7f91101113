// runStep: one durable step against a checkpoint service, every decision from the core.
//
// The driver does the I/O the core leaves to hosts: it reads the step's checkpointed operation,
// sends the updates the core wrote, runs the user function, serializes, and waits or throws as
// told. Which updates, which attempt, retry or fail, replay or run, and how a failed service call
// is classified all come from the component (step.begin / step.complete, one call each, and
// classifyError).
//
//   const invocation = await Invocation.fromEvent(new LambdaServiceClient(lambda), event);
//   const total = await invocation.step({ id, name: 'charge', profile: 'ts' }, async (attempt) => charge());

import { classifyApiError, classifyError } from './classify.js';
import { profileInfo } from './profiles.js';
import { wrongType } from './errors.js';
import { begin, complete, describeError } from './step.js';

// A retry timer that has not fired yet is polled at 1 s, 2 s, ... up to 10 s (sdk-behaviour 3.2).
const POLL_MS = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000];
const STATE_PAGE_LIMIT = 10_000; // pages; a guard against a service that never ends its listing
const DEFAULT_CLASS_MESSAGES = {
  StepError: 'Step failed',
  CallbackError: 'Callback failed',
  InvokeError: 'Invoke failed',
  ChildContextError: 'Child context failed',
  WaitForConditionError: 'Wait for condition failed',
};

/**
 * The invocation's current checkpoint token. Every checkpoint consumes the token and returns the
 * next; runStep updates this holder so the next step uses the new one.
 */
export class CheckpointToken {
  constructor(value) {
    if (typeof value !== 'string') throw wrongType('checkpointToken', value, 'a string');
    this.value = value;
  }
}

// ---- what runStep throws besides the user's own errors

/**
 * The step failed (now, or in an earlier invocation): its checkpointed error. `name` is the SDK
 * class the profile throws (`errorClass`: python always StepError; ts/unified StepError,
 * InvokeError, CallbackError... from the recorded ErrorType); `cause` is rebuilt from the
 * ErrorObject as the SDK rebuilds it, the same on first run and replay; `thrown` is the value the
 * function threw, on the first run only.
 */
export class StepError extends Error {
  constructor(error = {}, errorClass = 'StepError', { thrown } = {}) {
    const known = Object.hasOwn(DEFAULT_CLASS_MESSAGES, error.ErrorType ?? '');
    super(error.ErrorMessage || (known ? DEFAULT_CLASS_MESSAGES[errorClass] : 'Unknown error'), { cause: rebuiltCause(error) });
    this.name = errorClass;
    this.errorClass = errorClass;
    this.error = error;
    this.errorType = error.ErrorType;
    this.errorData = error.ErrorData;
    this.thrown = thrown;
  }
}

/**
 * End this invocation as PENDING; the service re-invokes at `untilMs` (epoch ms; undefined: when
 * something else completes). The handler returns `{Status: 'PENDING'}`.
 */
export class SuspendExecution extends Error {
  constructor(untilMs) {
    super(untilMs === undefined ? 'suspend' : `suspend until ${whenText(untilMs)}`);
    this.name = 'SuspendExecution';
    this.untilMs = untilMs;
  }
}

/**
 * A timer for a message. Delays go up to 2^53-1 s (python/ts profiles), past the range of Date
 * (8.64e15 ms): such a time is shown in milliseconds rather than throwing a RangeError after the
 * RETRY was already sent.
 */
function whenText(untilMs) {
  const date = new Date(untilMs);
  return Number.isNaN(date.getTime()) ? `epoch ${untilMs} ms` : date.toISOString();
}

/** The checkpoint does not match this call: the code changed between invocations (ts/unified). */
export class NonDeterministicError extends Error {
  constructor(stepId, field, expected, actual) {
    const what = field.toLowerCase();
    // Worded as @aws/durable-execution-sdk-js words it: "Expected" is the checkpointed value.
    super(
      `Non-deterministic execution detected: Operation ${what} mismatch for step "${stepId}". ` +
        `Expected ${what} "${actual ?? 'undefined'}", but got "${expected ?? 'undefined'}". ` +
        'This indicates non-deterministic control flow in your workflow code.',
    );
    this.name = 'NonDeterministicError';
    this.stepId = stepId;
    /** The core's field: `Type`, `Name` or `SubType`. */
    this.field = field;
    /** This call's value. */
    this.expected = expected;
    /** The checkpointed value. */
    this.actual = actual;
  }
}

/**
 * The step's update would be rejected permanently by the service (`rule`, e.g.
 * step-payload-too-large); it was not sent. Fail the execution with `error`.
 */
export class FailExecutionError extends Error {
  constructor(rule, error = {}, category = 'EXECUTION') {
    super(error.ErrorMessage ?? rule);
    this.name = 'FailExecutionError';
    this.rule = rule;
    this.error = error;
    this.category = category;
  }
}

/**
 * A CheckpointDurableExecution or GetDurableExecutionState call failed. The core's classification
 * says what the handler does: `retryable` (INVOCATION) means fail the invocation so Lambda retries
 * it; otherwise (EXECUTION) the execution is lost. `cause` is the client's error.
 */
export class CheckpointFailed extends Error {
  constructor(classification, api, cause) {
    super(`${api} failed (${classification.category}, rule ${classification.rule}): ${cause?.message ?? cause}`, { cause });
    this.name = 'CheckpointFailed';
    this.classification = classification;
    this.api = api;
    this.category = classification.category;
    this.retryable = classification.retryable;
    this.rule = classification.rule;
  }
}

/**
 * `serialize` or `deserialize` failed (or gave a non-string). No update was sent for the outcome;
 * the core has no rule for this yet (the SDKs disagree), so the host decides.
 */
export class StepSerdesError extends Error {
  constructor(stepId, phase, cause) {
    super(`${phase} failed for step ${stepId}: ${cause?.message ?? cause}`, { cause });
    this.name = 'StepSerdesError';
    this.stepId = stepId;
    this.phase = phase;
  }
}

/**
 * Run one step and return its value (deserialized from the payload, on the first run as on replay).
 * See index.d.ts for the options and what it throws.
 */
export async function runStep(client, options) {
  if (typeof options !== 'object' || options === null) throw wrongType('options', options, 'an object');
  const {
    executionArn,
    checkpointToken,
    fn,
    strategy,
    retry,
    profile,
    serialize = JSON.stringify,
    deserialize = JSON.parse,
    clock = Date.now,
    sleep,
    operations,
    random,
    maxWaitMs = 900_000,
  } = options;
  let { call } = options;
  if (typeof call !== 'object' || call === null) throw wrongType('call', call, 'an object {id, parentId, name, semantics, profile}');
  if (profile !== undefined) call = { ...call, profile };
  if (typeof fn !== 'function') throw wrongType('fn', fn, 'a function taking the attempt number');
  for (const [field, value] of [
    ['serialize', serialize],
    ['deserialize', deserialize],
    ['clock', clock],
  ]) {
    if (typeof value !== 'function') throw wrongType(field, value, 'a function');
  }
  if (sleep !== undefined && typeof sleep !== 'function') throw wrongType('sleep', sleep, 'a function (ms) => Promise, or undefined');
  if (operations !== undefined && !(operations instanceof Map)) throw wrongType('operations', operations, 'a Map of Operations by Id, or undefined');
  const callProfile = call.profile ?? 'unified';
  profileInfo(callProfile, 'call.profile'); // release names too; classification keeps the name
  const token = checkpointToken instanceof CheckpointToken ? checkpointToken : new CheckpointToken(checkpointToken);
  const service = new Session(client, executionArn, token, operations, callProfile);
  const decide = () => ({ nowMs: clock(), strategy, retry, random: random ?? Math.random() });

  let plan = begin(call, await service.operation(call.id), decide());
  let waited = 0;
  let polls = 0;
  for (;;) {
    let { action } = plan;
    let thrown;
    let threw = false;
    if (action.kind === 'execute') {
      const run = await execute(service, call, fn, action, plan.updates, decide, serialize, deserialize);
      ({ action } = run.plan);
      if (action.kind === 'return') return run.value;
      ({ thrown, threw } = run);
      if (action.kind === 'propagate') throw thrown;
    } else if (plan.updates.length > 0) {
      await service.send(plan.updates); // begin's RETRY/FAIL for an interrupted at-most-once step
    }
    switch (action.kind) {
      case 'return': // replay of SUCCEEDED
        return action.payload === undefined ? undefined : serdes(call, 'deserialize', deserialize, action.payload);
      case 'raise':
        throw new StepError(action.error, action.errorClass, threw ? { thrown } : {});
      case 'non-deterministic':
        throw new NonDeterministicError(call.id, action.field, action.expected, action.actual);
      case 'fail-execution':
        throw new FailExecutionError(action.rule, action.error, action.category);
      case 'suspend':
        break;
      default: // execute and propagate never follow here
        throw new Error(`durable-core answered with an unexpected step action ${action.kind}`);
    }
    if (sleep === undefined || action.untilMs === undefined) throw new SuspendExecution(action.untilMs);
    // Wait in-process for the retry timer, then re-read the operation (READY runs again).
    let delay = action.untilMs - clock();
    if (delay <= 0) delay = POLL_MS[Math.min(polls++, POLL_MS.length - 1)];
    if (waited + delay > maxWaitMs) throw new SuspendExecution(action.untilMs);
    await sleep(delay);
    waited += delay;
    plan = begin(call, await service.operation(call.id, { fresh: true }), decide());
  }
}

/**
 * Run attempt `action.attempt`. `start` is begin's START update (if due), sent before the function
 * runs: awaited first for at-most-once; for at-least-once not awaited (the function runs while it
 * is in flight, as in the SDKs), but settled before anything else goes out, since every checkpoint
 * needs the token the previous one returned.
 */
async function execute(service, call, fn, action, start, decide, serialize, deserialize) {
  let started;
  if (start.length > 0) {
    if (action.awaitStart) {
      await service.send(start);
    } else {
      started = service.send(start);
      started.catch(() => {}); // observed below, after the function
    }
  }
  let result;
  let thrown;
  let threw = false;
  try {
    result = await fn(action.attempt);
  } catch (error) {
    thrown = error;
    threw = true;
  }
  await started; // a failed START is a CheckpointFailed, whatever the function did
  let value;
  let plan;
  if (threw) {
    plan = complete(call, action.attempt, { failure: describeError(thrown) }, decide());
  } else {
    const payload = serdes(call, 'serialize', serialize, result);
    if (payload !== undefined && typeof payload !== 'string') {
      throw new StepSerdesError(call.id, 'serialize', wrongType('payload', payload, 'a string or undefined'));
    }
    // Round-trip before SUCCEED, so the first run returns exactly what a replay would.
    value = payload === undefined ? undefined : serdes(call, 'deserialize', deserialize, payload);
    plan = complete(call, action.attempt, { success: { payload } }, decide());
  }
  if (plan.updates.length > 0) await service.send(plan.updates);
  return { value, plan, thrown, threw };
}

function serdes(call, phase, fn, value) {
  try {
    return fn(value);
  } catch (error) {
    throw new StepSerdesError(call.id, phase, error);
  }
}

function rebuiltCause(error) {
  const cause = new Error(error.ErrorMessage);
  cause.name = error.ErrorType || 'Error';
  if (Array.isArray(error.StackTrace)) cause.stack = error.StackTrace.join('\n');
  return cause;
}

/** The client calls of one step, with their failures classified by the core. */
class Session {
  constructor(client, executionArn, token, operations, profile) {
    if (typeof client?.checkpoint !== 'function' || typeof client?.getState !== 'function') {
      throw wrongType('client', client, 'a checkpoint client {checkpoint, getState}');
    }
    if (typeof executionArn !== 'string') throw wrongType('executionArn', executionArn, 'a string');
    this.client = client;
    this.arn = executionArn;
    this.token = token;
    this.operations = operations;
    this.profile = profile;
  }

  async operation(id, { fresh = false } = {}) {
    if (this.operations && !fresh) return this.operations.get(id);
    let found;
    let marker;
    for (let page = 0; page < STATE_PAGE_LIMIT; page++) {
      let answer;
      try {
        answer = await this.client.getState(this.arn, this.token.value, marker);
      } catch (error) {
        throw failed(error, 'get-state', this.profile);
      }
      for (const op of answer?.operations ?? []) {
        this.operations?.set(op.Id, op);
        if (op.Id === id) found = op;
      }
      marker = answer?.nextMarker;
      if (!marker) return found;
    }
    throw new Error(`GetDurableExecutionState returned over ${STATE_PAGE_LIMIT} pages`);
  }

  async send(updates) {
    const body = updates.map((u) => (typeof u === 'string' ? JSON.parse(u) : u));
    let result;
    try {
      result = await this.client.checkpoint(this.arn, this.token.value, body);
    } catch (error) {
      throw failed(error, 'checkpoint', this.profile);
    }
    if (result?.token != null) this.token.value = result.token;
    for (const op of result?.operations ?? []) this.operations?.set(op.Id, op);
  }
}

function failed(error, api, profile) {
  let classification;
  try {
    classification = classifyError(error, { api, profile });
  } catch (unreadable) {
    // A programming error (a transport that is not a client) is not a failed call: it must not
    // become an INVOCATION failure that Lambda retries until the timeout.
    if (unreadable?.field === 'err') throw unreadable;
    // Fields the classifier cannot read (a name that is not a string...): judged as a failure
    // without an HTTP response, by its text alone.
    classification = classifyApiError({ api, profile, message: String(error?.message ?? 'unknown failure') });
  }
  return new CheckpointFailed(classification, api, error);
}

/**
 * One invocation's view of its execution: the ARN, the current token and the operations (the
 * invocation input's InitialExecutionState, paged to the end, kept current from checkpoint
 * responses). `step` runs runStep against it.
 */
export class Invocation {
  constructor(client, executionArn, checkpointToken, operations = []) {
    this.client = client;
    this.executionArn = executionArn;
    this.token = new CheckpointToken(checkpointToken);
    this.operations = new Map();
    for (const op of operations) this.operations.set(op.Id, op);
  }

  /**
   * From the durable invocation input (`DurableExecutionArn`, `CheckpointToken`,
   * `InitialExecutionState`), fetching the remaining pages while `NextMarker` is set.
   */
  static async fromEvent(client, event, { profile = 'unified' } = {}) {
    if (typeof event !== 'object' || event === null) throw wrongType('event', event, 'the durable invocation input (an object)');
    for (const key of ['DurableExecutionArn', 'CheckpointToken']) {
      if (typeof event[key] !== 'string' || event[key] === '') throw wrongType(`event.${key}`, event[key], 'a non-empty string');
    }
    const initial = event.InitialExecutionState ?? {};
    const invocation = new Invocation(client, event.DurableExecutionArn, event.CheckpointToken, initial.Operations ?? []);
    let marker = initial.NextMarker || undefined;
    for (let page = 0; marker; page++) {
      if (page >= STATE_PAGE_LIMIT) throw new Error('GetDurableExecutionState never ended its listing');
      let answer;
      try {
        answer = await client.getState(invocation.executionArn, invocation.token.value, marker);
      } catch (error) {
        throw failed(error, 'get-state', profile);
      }
      for (const op of answer?.operations ?? []) invocation.operations.set(op.Id, op);
      marker = answer?.nextMarker || undefined;
    }
    return invocation;
  }

  /** runStep against this invocation's token and operations. */
  step(call, fn, options = {}) {
    return runStep(this.client, {
      ...options,
      executionArn: this.executionArn,
      checkpointToken: this.token,
      operations: this.operations,
      call,
      fn,
    });
  }
}
