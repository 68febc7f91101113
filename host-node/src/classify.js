// Classification of failed CheckpointDurableExecution / GetDurableExecutionState calls.
//
// Every rule, and which category each rule yields, lives in the core. This module validates the
// input, packs it for the core's flat `classify-packed` entry point (one crossing, no records;
// lowered by abi.js) and names the rule it returns through the core's own `rules()` table.

import { call, core, trapped } from './component.js';
import { DurableCoreError, badValue, wrongType } from './errors.js';
import { profileInfo } from './profiles.js';

// `classify-packed` options bits, as documented in the WIT.
const GET_STATE = 1;
const PROFILE_BITS = new Map([['unified', 0], ['python', 1 << 1], ['ts', 2 << 1]]);
const CODE_PRESENT = 1 << 3;
const MESSAGE_PRESENT = 1 << 4;
const SCOPE_BITS = new Map([['INVOCATION', 1 << 5], ['EXECUTION', (1 << 5) | (1 << 6)]]);
const WRAPPED = 1 << 7;
const RELEASE_SHIFT = 8;
// Links of `cause` followed at most; a cycle ends the walk earlier.
const MAX_CHAIN = 32;

const API_FIELDS = { status: 'status', code: 'code', message: 'message' };
// classifyError names the fields where it read them, so a rejection points at the error object.
const ERROR_FIELDS = { status: 'err.$metadata.httpStatusCode', code: 'err.name', message: 'err.message' };

let table; // rules(): the core's table, read once per process
let results; // by rule discriminant: the frozen result classify returns
let byId; // by rule id: the same results

function loadRules() {
  const infos = call('rules', (live) => live.classify.rules());
  table = Object.freeze(
    infos.map(({ rule, category, retryable, summary }) =>
      Object.freeze({ id: rule, category: category.toUpperCase(), retryable, summary }),
    ),
  );
  results = table.map(({ id, category, retryable }) => Object.freeze({ category, retryable, rule: id }));
  byId = new Map(results.map((r) => [r.rule, r]));
  return results;
}

export function rules() {
  if (!table) loadRules();
  return table;
}

export function classifyApiError(failure = {}) {
  if (typeof failure !== 'object' || failure === null) throw wrongType('failure', failure, 'an object');
  const { api = 'checkpoint', status, code, message, profile = 'unified', statedScope = null, wrapped = false } = failure;
  if (status != null && typeof status !== 'number' && typeof status !== 'string') {
    throw wrongType('status', status, 'a number, a string or null');
  }
  if (typeof wrapped !== 'boolean') throw wrongType('wrapped', wrapped, 'a boolean');
  return classify(api, status, code, message, profile, statedScope, wrapped, API_FIELDS);
}

export function classifyError(err, options = {}) {
  if (typeof options !== 'object' || options === null) throw wrongType('options', options, 'an object');
  const { api = 'checkpoint', profile = 'unified' } = options;
  // The first link of `err` and its `cause`s that says something about the call: a stated scope
  // (@aws/durable-execution-sdk-js's structural DurableExecutionClientError test) or the AWS SDK
  // v3 error shape ($metadata). The raised error itself is read in any case.
  // With none, the root cause (the last link reached) decides whether this was a call at all: a
  // TypeError or ReferenceError there is a programming error (a transport that is not a client),
  // never a failure to retry. fetch's `TypeError: fetch failed` has a system error as its cause,
  // so a network failure through fetch is still classified.
  const { link, scope, wrapped } = findLink(err);
  return classifyLink(link, api, profile, scope, wrapped);
}

/**
 * What a thrown value says about a failed call, in the invocation engine's words (io-done's
 * `failure`): status (an integer 0..65535 or null), status_text (a status only text carries),
 * code, message, stated_scope, wrapped, and text (the message the SDK's FAILED output carries).
 * Read exactly as classifyError reads it, programming errors included (a TypeError).
 */
export function failureReport(err) {
  const { link, scope, wrapped } = findLink(err);
  const { status, code, message } = linkFields(link);
  const report = { code: typeof code === 'string' ? code : null, message: message ?? null, stated_scope: scope, wrapped, text: message ?? null };
  if (status == null) report.status = null;
  else if (Number.isInteger(status) && status >= 0 && status <= 0xffff) report.status = status;
  else {
    report.status = null;
    report.status_text = String(status);
  }
  return report;
}

/** The link of `err` (or of its `cause`s) that says something about the call. */
function findLink(err) {
  let link = err;
  let root = err;
  const seen = new Set();
  for (let depth = 0; depth < MAX_CHAIN && isObject(link) && !seen.has(link); depth++) {
    seen.add(link);
    const scope = statedScope(link);
    if (scope !== null || isObject(property(link, '$metadata'))) return { link, scope, wrapped: depth > 0 };
    root = link;
    link = property(link, 'cause');
  }
  const programmingError = root instanceof TypeError || root instanceof ReferenceError ? root : undefined;
  if (programmingError !== undefined) {
    const error = wrongType(
      'err',
      err,
      `a failed service call, not a programming error (${programmingError.name}: ${programmingError.message}); retrying the invocation cannot fix it`,
    );
    error.cause = programmingError;
    throw error;
  }
  return { link: err, scope: null, wrapped: false };
}

/** The fields @aws/durable-execution-sdk-js 2.4.0 reads from a thrown value (classifyCheckpointError). */
function linkFields(link) {
  // Status and name come from the thrown value itself; the message falls back to that of the
  // Error the SDK wraps a non-Error in, i.e. String(value).
  const message = link?.message || (link instanceof Error ? link.message : stringOf(link));
  let status = link?.$metadata?.httpStatusCode;
  // Whatever the transport put there is read as JS reads it (`>=` converts): as its text.
  if (status != null && typeof status !== 'number' && typeof status !== 'string') status = stringOf(status) ?? 'NaN';
  return { status, code: link?.name, message };
}

function classifyLink(link, api, profile, scope, wrapped) {
  const { status, code, message } = linkFields(link);
  return classify(api, status, code, message, profile, scope, wrapped, ERROR_FIELDS);
}

/** The scope a value states the way the JS SDK recognises it (structurally), or null. */
function statedScope(value) {
  if (property(value, 'isDurableExecutionClientError') !== true) return null;
  const scope = property(value, 'scope');
  return scope === 'INVOCATION' || scope === 'EXECUTION' ? scope : null;
}

/** A property of an arbitrary thrown value; a getter that throws reads as absent. */
function property(value, key) {
  try {
    return value[key];
  } catch {
    return undefined;
  }
}

function isObject(value) {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function stringOf(value) {
  try {
    return String(value);
  } catch {
    return undefined; // e.g. a null-prototype object: no message rather than a crash in an error path
  }
}

function classify(api, status, code, message, profile, scope, wrapped, fields) {
  let options;
  switch (api) {
    case 'checkpoint':
      options = 0;
      break;
    case 'get-state':
      options = GET_STATE;
      break;
    default:
      throw enumError('api', api, '"checkpoint" or "get-state"');
  }
  const family = PROFILE_BITS.get(profile);
  options |= family ?? profileInfo(profile).releaseId << RELEASE_SHIFT;
  if (scope != null) {
    const bits = SCOPE_BITS.get(scope);
    if (bits === undefined) throw enumError('statedScope', scope, '"INVOCATION", "EXECUTION" or null');
    options |= bits;
  }
  if (wrapped) options |= WRAPPED;
  // An absent status and 0 both mean "no HTTP response" to the core. Anything but an integer
  // 0..65535 goes to the core as text, read as JavaScript's Number() reads it.
  let statusText;
  if (status == null) status = 0;
  else if (typeof status === 'string') statusText = status;
  else if (!(Number.isInteger(status) && status >= 0 && status <= 65535)) statusText = String(status);
  if (statusText !== undefined && !statusText.isWellFormed()) {
    throw badValue(fields.status, status, 'well-formed Unicode text');
  }
  if (code == null) code = '';
  else if (typeof code === 'string') options |= CODE_PRESENT;
  else throw wrongType(fields.code, code, 'a string or null');
  if (message == null) message = '';
  else if (typeof message === 'string') options |= MESSAGE_PRESENT;
  else throw wrongType(fields.message, message, 'a string or null');

  const byRule = results ?? loadRules();
  if (statusText !== undefined) return classifyNamed(options, statusText, code, message, profile);
  const { classifyPacked } = core();
  let rule;
  try {
    rule = classifyPacked(options, status, code, message);
  } catch (cause) {
    throw trapped('classify-packed', cause);
  }
  const result = byRule[rule];
  if (result === undefined) {
    // Input was validated above, so this is a core that breaks its own contract.
    throw new DurableCoreError(`durable-core: classify-packed returned ${rule}, which is not in rules()`, { kind: 'contract' });
  }
  return result;
}

/** The typed path, for a status only text can carry (rare: the AWS SDK always sets a number). */
function classifyNamed(options, statusText, code, message, profile) {
  const failure = {
    api: options & GET_STATE ? 'get-state' : 'checkpoint',
    status: undefined,
    code: options & CODE_PRESENT ? code : undefined,
    message: options & MESSAGE_PRESENT ? message : undefined,
    statusText,
    statedScope: options & (1 << 5) ? (options & (1 << 6) ? 'execution' : 'invocation') : undefined,
    wrapped: (options & WRAPPED) !== 0,
  };
  const name = profileInfo(profile).name;
  const { rule } = call('classify-named', (live) => live.classify.classifyNamed(failure, name));
  const result = byId.get(rule);
  if (result === undefined) {
    throw new DurableCoreError(`durable-core: classify-named returned ${rule}, which is not in rules()`, { kind: 'contract' });
  }
  return result;
}

function enumError(field, value, expected) {
  return typeof value === 'string' ? badValue(field, value, expected) : wrongType(field, value, expected);
}
