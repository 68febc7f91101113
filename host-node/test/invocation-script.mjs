// Suite `invocation` on the Node host: a scripted handler and a scripted service, run by the
// package's invocation Engine exactly as a real handler and transport drive it. Updates are
// recorded as the profile's transport serializes them (JSON.stringify; ASCII-escaped for the
// python profile, as json.dumps does). Concurrent branches run one after the other, each to
// completion or suspension, as the other runners do.

import { failureReport } from '../src/classify.js';
import { Engine, InvocationFailed, OperationError, Stopped, Suspended, UnreadableResponse } from '../src/invocation.js';

const DEFAULT_NOW_MS = 1_700_000_000_000;
const PASS_THROUGH = Object.freeze({ serialize: (v) => v, deserialize: (s) => s });

const OPERATIONS = { checkpoint: 'CheckpointDurableExecution', 'get-state': 'GetDurableExecutionState' };

// A failed call as the profile's client reports it: the AWS SDK v3 error for ts/unified (no body:
// name and message "UnknownError"); for python, botocore's wording (a body without a code gets the
// status as its code; "An error occurred (...)", the client configured with no retries), which
// the Python SDK puts in its FAILED output; no status is a connection error.
class ServiceFailure extends Error {
  constructor(fail, api, python) {
    const { status = null } = fail;
    if (status === null) {
      super(fail.message ?? 'connection reset');
      return;
    }
    const code = fail.code ?? (python ? String(status) : 'UnknownError');
    const message = fail.message ?? (python ? '' : 'UnknownError');
    super(message);
    this.name = code;
    this.$metadata = { httpStatusCode: status };
    // What the profile's SDK shows of it (botocore's str() for python).
    // botocore's default client retries throttling and 5xx twice before it raises.
    const retried = [429, 500, 502, 503, 504].includes(status) ? ' (reached max retries: 2)' : '';
    this.shown = python ? `An error occurred (${code}) when calling the ${OPERATIONS[api]} operation${retried}: ${message}` : message;
  }
}

function asciiJson(value) {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

class ScriptedService {
  constructor(answers, python) {
    this.answers = answers;
    this.python = python;
    this.render = python ? asciiJson : JSON.stringify;
    this.calls = [];
  }

  // The transport describes its own failures: the fields classification reads, and the text the
  // profile's SDK shows (Engine calls this when a transport offers it).
  describeFailure(error) {
    const report = failureReport(error);
    if (error instanceof ServiceFailure && error.shown !== undefined) report.text = error.shown;
    return report;
  }

  answer(api) {
    const answer = this.answers[this.calls.length] ?? {};
    if (answer.api !== undefined && answer.api !== api) {
      throw new Error(`service answer ${this.calls.length + 1} is for ${answer.api}, the call was ${api}`);
    }
    return answer;
  }

  async checkpoint(arn, token, updates) {
    const answer = this.answer('checkpoint');
    this.calls.push({ api: 'checkpoint', token, updates: updates.map((u) => this.render(u)) });
    return respond(answer, 'checkpoint', this.python, (ok) => ({
      CheckpointToken: ok.token ?? `token-${this.calls.length}`,
      NewExecutionState: { Operations: ok.operations ?? [] },
    }));
  }

  async getState(arn, token, marker) {
    const answer = this.answer('get-state');
    this.calls.push({ api: 'get-state', token, marker });
    const page = answer.page ?? {};
    return respond(answer, 'get-state', this.python, () => ({ Operations: page.operations ?? [], NextMarker: page.next_marker ?? null }));
  }
}

function respond(answer, api, python, ok) {
  if (answer.fail) throw new ServiceFailure(answer.fail, api, python);
  if (answer.unreadable) throw new UnreadableResponse();
  if (answer.no_token) return {};
  return ok(answer.ok ?? {});
}

/** Runs one case's input; resolves to {calls, output[, invocation_error]}. */
export async function runInvocation(input) {
  const profile = input.profile ?? 'unified';
  const python = profile === 'python';
  const nowMs = input.now_ms ?? DEFAULT_NOW_MS;
  const draw = input.random ?? 0.5;
  const service = new ScriptedService(input.service ?? [], python);
  // The category is what an SDK shows; the rule (InvocationFailed.rule) is durable-core's name for
  // it, given when the core stopped the invocation (a rejected envelope has none).
  const failed = (error) => ({
    calls: service.calls,
    output: null,
    invocation_error: error?.rule ? { category: 'INVOCATION', rule: error.rule } : { category: 'INVOCATION' },
  });
  let engine;
  try {
    engine = await Engine.open(input.envelope, service, { profile, clock: () => nowMs, random: () => draw, idleFlush: false });
  } catch (error) {
    // A rejected envelope fails the invocation too (a typed error naming the field).
    if (error instanceof InvocationFailed) return failed(error);
    if (error instanceof TypeError && error.field?.startsWith('envelope')) return failed();
    throw error;
  }
  const script = new Script(engine);
  let output;
  try {
    let result;
    try {
      if (engine.stopped) throw new Stopped();
      result = await script.block(input.handler ?? [], 0);
    } catch (error) {
      if (error instanceof Suspended) output = await engine.finishSuspend();
      else if (error instanceof Stopped) output = await engine.finishStopped();
      else output = await engine.finishThrow(error);
    }
    if (output === undefined) {
      // A handler that returns nothing: JS undefined; Python None, which it returns as "null".
      const value = result ? result.value : python ? 'null' : undefined;
      output = await engine.finishReturn(value ?? undefined);
    }
  } catch (error) {
    if (error instanceof InvocationFailed) return failed(error);
    throw error;
  }
  return { calls: service.calls, output };
}

class Script {
  constructor(engine) {
    this.engine = engine;
    this.python = engine.profile === 'python';
  }

  // A handler's return value (the script gives it as JSON text) as the profile's SDK serializes
  // it: Python's json.dumps for python, JSON.stringify otherwise.
  serialized(text) {
    if (text === null || text === undefined) return text;
    const value = JSON.parse(text);
    return this.python ? pythonDumps(value) : JSON.stringify(value);
  }

  async block(statements, context) {
    for (const statement of statements) {
      const returned = await this.statement(statement, context);
      if (returned) return returned;
    }
    return undefined;
  }

  async statement(s, context) {
    const { engine } = this;
    if (s.step) {
      const spec = s.step;
      const attempts = spec.attempts ?? [];
      const fn = async (attempt) => {
        const outcome = attempts.length ? attempts[Math.min(attempt, attempts.length) - 1] : { payload: null };
        if (outcome.throw) throw scriptedError(outcome.throw);
        return outcome.payload ?? undefined;
      };
      let retry = spec.retry;
      if (typeof retry?.preset === 'string') retry = { preset: { name: retry.preset } };
      const semantics = spec.semantics === 'at-most-once' ? 'AT_MOST_ONCE_PER_RETRY' : 'AT_LEAST_ONCE_PER_RETRY';
      return this.caught(spec, () => engine.step(context, spec.name, fn, { serdes: PASS_THROUGH, semantics, retry }));
    }
    if (s.wait) return this.caught(s.wait, () => engine.wait(context, s.wait.name, s.wait.seconds));
    if (s.child) {
      const spec = s.child;
      const body = async (inner) => (await this.block(spec.handler ?? [], inner))?.value ?? undefined;
      return this.caught(spec, () => engine.child(context, spec.name, body, { serdes: PASS_THROUGH }));
    }
    // Branches of one step or wait each run concurrently as each SDK's users run them: JS
    // branches under Promise.all on the real engine; Python's threads (as the SDK's evidence
    // fixes their interleaving) each run until they wait for a stored update, then the next:
    // the engine drains its queue only once the event loop turns, so a branch given enough
    // microtask turns is waiting when the next starts.
    if (s.concurrent && singleOperations(s.concurrent)) {
      const running = [];
      for (const branch of s.concurrent) {
        const settled = this.block(branch, context).then(() => undefined, (error) => error);
        running.push(settled);
        if (this.python) for (let turn = 0; turn < 64; turn++) await null;
      }
      const errors = (await Promise.all(running)).filter((e) => e !== undefined);
      const thrown = errors.find((e) => !(e instanceof Suspended));
      if (thrown) throw thrown;
      if (errors.length) throw new Suspended();
      return undefined;
    }
    if (s.concurrent) {
      let suspended = false;
      for (const branch of s.concurrent) {
        try {
          await this.block(branch, context);
        } catch (error) {
          if (!(error instanceof Suspended)) throw error;
          suspended = true;
        }
      }
      if (suspended) throw new Suspended();
      return undefined;
    }
    if ('return' in s) return { value: this.serialized(s.return) };
    if (s.throw) throw scriptedError(s.throw);
    throw new TypeError(`handler: unknown statement ${JSON.stringify(s)}`);
  }

  async caught(spec, run) {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof OperationError) || !spec.catch) throw error;
    }
    return undefined;
  }
}

/** True when every branch is one step (first attempt, no catch, at-least-once) or one wait. */
function singleOperations(branches) {
  return branches.every((b) => b.length === 1 && (b[0].wait || (b[0].step && !('catch' in b[0].step) && !('semantics' in b[0].step))));
}

/** Python's json.dumps with its defaults: ", " and ": " separators, non-ASCII escaped. */
function pythonDumps(value) {
  if (Array.isArray(value)) return `[${value.map(pythonDumps).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${asciiJson(k)}: ${pythonDumps(v)}`).join(', ')}}`;
  }
  return asciiJson(value);
}

/** An Error whose name (and class chain) is the script's type. */
function scriptedError(thrown) {
  const name = thrown.type ?? 'Error';
  const Named = { [name]: class extends Error {} }[name];
  const error = new Named(thrown.message ?? '');
  error.name = name;
  return error;
}
