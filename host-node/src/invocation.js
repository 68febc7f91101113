// One invocation of a durable function, run by the core; this module is only its I/O.
//
// The core (`invocation` interface, guest/src/invocation/) owns the operation table, ids, replay
// validation, the queue of updates and its batching, the checkpoint token, what a failed service
// call means and the output. This host keeps: calling the user's functions, serializing their
// values, the transport, the clock, and turning the core's answers into JS control flow.
//
//   const engine = await Engine.open(event, transport, { profile: 'ts' });
//   const value = await engine.step(0, 'charge', async (attempt) => charge());
//   const output = await engine.finishReturn(JSON.stringify(value));
//
// Concurrent operations (Promise.all) are safe: the core keeps one queue and one service call is
// in flight at a time, whichever operation asked for it.

import { core, trapped, liveGeneration } from './component.js';
import { DurableCoreError, wrongType } from './errors.js';
import { strategyHandle } from './retry.js';
import { failureReport } from './classify.js';
import { coreError, describeError } from './step.js';
import { readAnswer, readOpened } from './answers.js';

const PUMP_LIMIT = 1_000_000; // service calls per pump; a service that never stops answering is a fault

/** The handler must unwind: this operation cannot complete in this invocation. */
export class Suspended extends Error {
  constructor() {
    super('the operation cannot complete in this invocation');
    this.name = 'Suspended';
  }
}

/** The handler must unwind: the invocation is over (failed service call, non-determinism, ...). */
export class Stopped extends Error {
  constructor() {
    super('the invocation is over');
    this.name = 'Stopped';
  }
}

/** The invocation fails so that Lambda retries it (`rule` says why). */
export class InvocationFailed extends Error {
  constructor(rule, message) {
    super(`${rule}: ${message}`);
    this.name = 'InvocationFailed';
    this.rule = rule;
  }
}

/** A transport throws this for a 200 whose body is not JSON. */
export class UnreadableResponse extends Error {
  constructor(message = 'the response body is not JSON') {
    super(message);
    this.name = 'UnreadableResponse';
  }
}

/** An operation failed (now or earlier): raised into the user's code as the profile's class. */
export class OperationError extends Error {
  constructor(errorClass, error) {
    super(error?.ErrorMessage ?? '');
    this.name = errorClass;
    this.errorClass = errorClass;
    this.error = error;
    this.errorData = error?.ErrorData;
  }
}

export const JSON_SERDES = Object.freeze({
  serialize: (value) => JSON.stringify(value),
  deserialize: (text) => JSON.parse(text),
});

export class Engine {
  /** Opens the invocation and fetches the rest of its state. */
  // `idleFlush`: while a step runs, updates nothing waits for (an at-least-once START) are sent
  // once the event loop turns, as the JS SDK's queue does, so a long or crashing step leaves its
  // START behind; false sends them only with the next awaited update (deterministic, for tests).
  static async open(envelope, transport, { profile = 'unified', clock = Date.now, random = Math.random, idleFlush = true } = {}) {
    if (typeof envelope !== 'object' || envelope === null) throw wrongType('envelope', envelope, 'the durable invocation input (an object)');
    for (const method of ['checkpoint', 'getState']) {
      if (typeof transport?.[method] !== 'function') throw wrongType('transport', transport, `a transport (no ${method})`);
    }
    const engine = new Engine(envelope, transport, profile, clock, random);
    engine.#idleFlush = idleFlush;
    let info = engine.#openInfo;
    if (info.loading) {
      await engine.pump();
      info = engine.#call({ call: 'input' });
    }
    engine.inputText = info.input;
    engine.replaying = info.replaying;
    engine.stopped = info.stopped;
    return engine;
  }

  #handle;
  #generation;
  #transport;
  #held = new Map();
  #closed = false;
  #inFlight = null;
  // The operations not settled yet, in the order they started: a settled one's slot is emptied
  // (a Set's add and delete cost more than the rest of tracking together), and the list starts
  // over once none is running.
  #running = [];
  #unsettled = 0;
  #idleFlush = true;
  #openInfo;
  #persisted = 0;

  constructor(envelope, transport, profile, clock, random) {
    this.profile = profile;
    this.clock = clock;
    this.random = random;
    this.arn = envelope.DurableExecutionArn;
    this.#transport = transport;
    let text;
    try {
      text = JSON.stringify({ profile, envelope });
    } catch (error) {
      throw wrongType('envelope', envelope, `JSON values (${error.message})`);
    }
    const live = core();
    let opened;
    try {
      opened = readOpened(live.root.invocation.open(text));
    } catch (cause) {
      throw trapped('invocation#open', cause);
    }
    if (opened.error !== undefined) throw coreError(opened.error);
    this.#handle = opened.handle;
    this.#openInfo = opened.info;
    this.#generation = live.generation;
  }

  /** The clock's reading: epoch milliseconds, a number (JSON cannot carry anything else). */
  #now() {
    const now = this.clock();
    if (typeof now !== 'number') throw wrongType('clock()', now, 'epoch milliseconds (a number)');
    return now;
  }

  /** `request`: the call as an object, or as JSON text already (the hot calls, see `text`). */
  #call(request, payload) {
    if (typeof request !== 'string') {
      if (payload !== undefined) request.payload = true;
      request = JSON.stringify(request);
    }
    const live = liveGeneration(this.#generation);
    if (!live) throw new DurableCoreError('durable-core restarted after a trap; this invocation is gone', { kind: 'trap' });
    let answer;
    try {
      answer = readAnswer(live.invocationCall(this.#handle, request, payload ?? ''));
    } catch (cause) {
      throw trapped('invocation#call', cause);
    }
    if (answer.error !== undefined && answer.kind === undefined) throw coreError(answer.error);
    return answer;
  }

  /** True while the context's next operation is checkpointed (its code is replaying). */
  replayingIn(context) {
    return this.#call({ call: 'replaying', context }).replaying;
  }

  /** A call whose retry decision may need a draw: drawn only when the core asks (a jittered retry). */
  // `asObject()`: the same call as an object (made only then, when `request` is its text).
  #drawing(request, asObject = () => request) {
    const answer = this.#call(request);
    if (answer.kind !== 'need-random') return answer;
    return this.#call({ ...asObject(), random: this.random() });
  }

  /** Releases the core's state of this invocation; later calls are no-ops. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    const live = liveGeneration(this.#generation);
    if (live) live.root.invocation.close(this.#handle);
  }

  /** Makes the service calls the core asks for until `target` is stored (undefined: until none is due). */
  async pump(target) {
    if (target !== undefined && this.#persisted >= target) return;
    const request = target === undefined ? NEXT_IO : `{"call":"next-io","until":${target}}`;
    // As the JS SDK drains its queue: once the event loop turns, so that what concurrent branches
    // (Promise.all) queue in the same turn goes out in one call.
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < PUMP_LIMIT; i++) {
      if (target !== undefined && this.#persisted >= target) return;
      if (this.#inFlight) {
        await this.#inFlight;
        continue;
      }
      const io = this.#call(request);
      this.#persisted = io.persisted;
      if (io.io === null) return;
      let stopped = false;
      this.#inFlight = this.#perform(io).then((ioDone) => {
        this.#inFlight = null;
        const done = this.#call(ioDone);
        this.#persisted = done.persisted;
        stopped = done.stopped;
      });
      await this.#inFlight;
      if (stopped) return;
    }
    throw new DurableCoreError('the service calls never ended', { kind: 'contract' });
  }

  /**
   * Makes the service call `io`; resolves to the io-done request for its outcome. Not an async
   * function, which costs a frame more, but it settles in the same microtask as one would (a
   * transport's promise is awaited the way `await` takes it), so concurrent branches interleave
   * as before.
   */
  #perform(io) {
    let call;
    try {
      if (io.io === 'get-state') {
        call = this.#transport.getState(io.arn, io.token, io.marker, io.max_items);
      } else {
        const updates = io.updates;
        for (const [index, seq] of io.held) {
          updates[index].Payload = this.#held.get(seq);
          this.#held.delete(seq);
        }
        call = this.#transport.checkpoint(io.arn, io.token, updates);
      }
    } catch (error) {
      // Thrown before any promise: settled at once, as an async function's first catch would.
      try {
        return Promise.resolve(this.#ioFailed(error));
      } catch (thrown) {
        return Promise.reject(thrown);
      }
    }
    return Promise.resolve(call).then(ioDone, (error) => this.#ioFailed(error));
  }

  /** The io-done request for a service call that threw `error`. */
  #ioFailed(error) {
    if (error instanceof UnreadableResponse) return UNREADABLE;
    // A transport may describe its own failures (the fields failureReport reads, plus text).
    const describe = typeof this.#transport.describeFailure === 'function' ? (e) => this.#transport.describeFailure(e) : failureReport;
    return { call: 'io-done', failure: describe(error) };
  }

  /** The answer once its `sync` is stored: the answer itself when it has none (no await needed). */
  #settle(answer, held) {
    if (held !== undefined && answer.held != null) this.#held.set(answer.held, held);
    if (answer.sync == null) return answer;
    return this.pump(answer.sync).then(() => {
      // Not stored: the call failed and the invocation stopped; the caller must not see its
      // value as kept.
      if (this.#persisted < answer.sync) throw new Stopped();
      return answer;
    });
  }

  #track(promise) {
    const slot = this.#running.push(promise) - 1;
    this.#unsettled += 1;
    const done = () => {
      this.#running[slot] = undefined;
      if (--this.#unsettled === 0) this.#running.length = 0;
    };
    promise.then(done, done);
    return promise;
  }

  /** Runs a step: `fn(attempt)` runs only when the core says so. */
  step(context, name, fn, options = {}) {
    return this.#track(this.#step(context, name, fn, options));
  }

  async #step(context, name, fn, { serdes = JSON_SERDES, semantics = 'AT_LEAST_ONCE_PER_RETRY', strategy, retry } = {}) {
    const now = this.#now();
    const asObject = () => {
      const request = { call: 'step', context, name: name ?? null, semantics, now_ms: now };
      if (retry !== undefined) request.retry = retry;
      if (strategy !== undefined) request.strategy = strategyHandle(strategy, liveGeneration(this.#generation));
      return request;
    };
    // The common call (no retry configuration) as text: a quarter of JSON.stringify's cost.
    let answer = this.#drawing(retry === undefined && strategy === undefined
      ? `{"call":"step","context":${text(context)},"name":${text(name ?? null)},"semantics":${text(semantics)},"now_ms":${text(now)}}`
      : asObject(), asObject);
    while (answer.kind === 'execute') {
      await this.#settle(answer);
      if (this.#idleFlush) setImmediate(() => this.pump().catch(() => {}));
      const done = { call: 'step-done', op: answer.op, now_ms: 0 };
      let value;
      try {
        value = await fn(answer.attempt);
      } catch (error) {
        done.now_ms = this.#now();
        answer = this.#drawing({ ...done, outcome: { failure: failureOf(error) } });
        if (answer.kind === 'propagate') throw error;
        continue;
      }
      const payload = await serialized(serdes, value);
      done.now_ms = this.#now();
      const succeeded = `{"call":"step-done","op":${text(done.op)},"now_ms":${text(done.now_ms)},"outcome":{"success":{}}${payload === undefined ? '' : ',"payload":true'}}`;
      answer = await this.#settle(this.#call(succeeded, payload), payload);
      if (answer.kind === 'done') return payload === undefined ? undefined : serdes.deserialize(payload);
    }
    return this.#final(answer, serdes);
  }

  wait(context, name, seconds) {
    return this.#track((async () => {
      const answer = this.#call({ call: 'wait', context, name: name ?? null, seconds, now_ms: this.#now() });
      await this.#final(answer, JSON_SERDES);
    })());
  }

  /** Runs `fn(childContext)` as a child context (replayed from its checkpoint when done). */
  child(context, name, fn, options = {}) {
    return this.#track(this.#child(context, name, fn, options));
  }

  async #child(context, name, fn, { serdes = JSON_SERDES } = {}) {
    let answer = this.#call({ call: 'child', context, name: name ?? null, now_ms: this.#now() });
    if (answer.kind !== 'child') return this.#final(answer, serdes);
    const { op } = answer;
    let value;
    try {
      value = await fn(answer.context);
    } catch (error) {
      if (error instanceof Suspended || error instanceof Stopped) throw error;
      answer = this.#call({ call: 'child-done', op, outcome: escaped(error) });
      if (answer.kind === 'propagate') throw error;
      return this.#final(answer, serdes);
    }
    const payload = await serialized(serdes, value);
    answer = await this.#settle(this.#call({ call: 'child-done', op, outcome: { success: {} } }, payload), payload);
    if (answer.kind === 'done') return payload === undefined ? undefined : serdes.deserialize(payload);
    return this.#final(answer, serdes);
  }

  async #final(answer, serdes) {
    await this.#settle(answer);
    switch (answer.kind) {
      case 'replay':
        return answer.payload == null ? undefined : serdes.deserialize(answer.payload);
      case 'done':
        return undefined;
      case 'raise':
        throw new OperationError(answer.error_class, answer.error);
      case 'suspend':
        throw new Suspended();
      case 'stop':
        throw new Stopped();
      default:
        throw new DurableCoreError(`durable-core answered with an unexpected kind ${JSON.stringify(answer.kind)}`, { kind: 'contract' });
    }
  }

  /** The handler returned `result` (serialized; undefined: no result). */
  finishReturn(result) {
    return this.#finish({ outcome: 'return' }, result);
  }

  finishThrow(error) {
    const outcome = escaped(error);
    return this.#finish(outcome.raised ? { outcome: 'throw', raised: outcome.raised } : { outcome: 'throw', error: outcome.failure });
  }

  finishSuspend() {
    return this.#finish({ outcome: 'suspend' });
  }

  finishStopped() {
    return this.#finish({ outcome: 'stopped' });
  }

  // Not an async function where nothing is awaited (the common case): the promise it returns
  // settles in the same microtask as an async function's would.
  #finish(request, result) {
    // Operations still running finish first (their outcome is checkpointed), as the SDK waits.
    if (this.#unsettled > 0) return this.#finishOnceSettled(request, result);
    try {
      const sync = this.#finishCall(request, result);
      return sync == null ? Promise.resolve(this.#output(result)) : this.#outputOnceStored(sync, result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #finishOnceSettled(request, result) {
    await Promise.allSettled(this.#running.filter((promise) => promise !== undefined));
    const sync = this.#finishCall(request, result);
    if (sync != null) await this.pump(sync);
    return this.#output(result);
  }

  async #outputOnceStored(sync, result) {
    await this.pump(sync);
    return this.#output(result);
  }

  /** Makes the finish call; returns the sequence number to store before the output (or null). */
  #finishCall(request, result) {
    const done = this.#call(request.outcome === 'return'
      ? `{"call":"finish","now_ms":${text(this.#now())},"outcome":"return"${result === undefined ? '' : ',"payload":true'}}`
      : { call: 'finish', now_ms: this.#now(), ...request }, result);
    if (done.held != null && result !== undefined) this.#held.set(done.held, result);
    return done.sync;
  }

  #output(result) {
    const out = this.#call(OUTPUT);
    this.close();
    if (out.invocation_error !== undefined) throw new InvocationFailed(out.invocation_error.rule, out.invocation_error.message);
    const output = out.output;
    if (out.result_held) output.Result = result;
    return output;
  }
}

/** The io-done request for a service call that answered `body`. */
function ioDone(body) {
  if (typeof body !== 'object' || body === null) return UNREADABLE;
  // A body JSON cannot carry (a cycle, a BigInt) is as unreadable as one that is not JSON.
  try {
    return `{"call":"io-done","ok":${text(body)}}`;
  } catch {
    return UNREADABLE;
  }
}

const NEXT_IO = '{"call":"next-io"}';
const OUTPUT = '{"call":"output"}';
const UNREADABLE = '{"call":"io-done","unreadable":true}';

/** One value of a hot call's request text, as JSON.stringify writes it inside an object. */
function text(value) {
  // A finite number prints the same either way; String is the cheaper of the two.
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? 'null';
}

/**
 * The user's value through the serdes: a string, or undefined for no payload; a promise of one
 * only when the serdes is async.
 */
function serialized(serdes, value) {
  const payload = serdes.serialize(value);
  return typeof payload?.then === 'function' ? payload.then(checkedPayload) : checkedPayload(payload);
}

function checkedPayload(payload) {
  if (payload !== undefined && typeof payload !== 'string') {
    throw wrongType('serdes.serialize', payload, 'a string or undefined');
  }
  return payload;
}

/**
 * What escaped a handler or a child: an operation error the core raised (recorded by the core
 * as the profile's SDK records its own error class), or the user's error.
 */
export function escaped(error) {
  if (error instanceof OperationError) return { raised: { error_class: error.errorClass, error: error.error } };
  return { failure: failureOf(error) };
}

/** The one error adapter: a thrown value as the core's `outcome.failure`. */
export function failureOf(error) {
  if (error instanceof OperationError) {
    return {
      error_type: error.error?.ErrorType ?? error.errorClass,
      error_types: [error.errorClass, 'DurableOperationError', 'Error'],
      message: error.error?.ErrorMessage ?? null,
      data: error.error?.ErrorData ?? null,
    };
  }
  const d = describeError(error);
  return { error_type: d.errorType ?? null, error_types: d.errorTypes, message: d.message ?? null, data: d.data ?? null, unrecoverable: d.unrecoverable };
}
