// Classification of failed CheckpointDurableExecution / GetDurableExecutionState calls.
//
// Every rule, and which category each rule yields, lives in the core. This module validates the
// input, packs it for the core's flat `classify-packed` entry point (one crossing, no records;
// lowered by abi.js) and names the rule it returns through the core's own `rules()` table.

import { call, core, trapped } from './component.js';
import { DurableCoreError, badValue, wrongType } from './errors.js';

// `classify-packed` options bits, as documented in the WIT.
const GET_STATE = 1;
const PYTHON = 1 << 1;
const TS = 2 << 1;
const CODE_PRESENT = 1 << 3;
const MESSAGE_PRESENT = 1 << 4;

const API_FIELDS = { status: 'status', code: 'code', message: 'message' };
// classifyError names the fields where it read them, so a rejection points at the error object.
const ERROR_FIELDS = { status: 'err.$metadata.httpStatusCode', code: 'err.name', message: 'err.message' };

let table; // rules(): the core's table, read once per process
let results; // by rule discriminant: the frozen result classify returns

function loadRules() {
  const infos = call('rules', (live) => live.classify.rules());
  table = Object.freeze(
    infos.map(({ rule, category, retryable, summary }) =>
      Object.freeze({ id: rule, category: category.toUpperCase(), retryable, summary }),
    ),
  );
  results = table.map(({ id, category, retryable }) => Object.freeze({ category, retryable, rule: id }));
  return results;
}

export function rules() {
  if (!table) loadRules();
  return table;
}

export function classifyApiError(failure = {}) {
  if (typeof failure !== 'object' || failure === null) throw wrongType('failure', failure, 'an object');
  const { api = 'checkpoint', status, code, message, profile = 'unified' } = failure;
  return classify(api, status, code, message, profile, API_FIELDS);
}

export function classifyError(err, options = {}) {
  if (typeof options !== 'object' || options === null) throw wrongType('options', options, 'an object');
  const { api = 'checkpoint', profile = 'unified' } = options;
  // The fields @aws/durable-execution-sdk-js 2.4.0 reads (classifyCheckpointError): status and
  // name come from the thrown value itself; the message falls back to that of the Error the SDK
  // wraps a non-Error in, i.e. String(value).
  const message = err?.message || (err instanceof Error ? err.message : stringOf(err));
  return classify(api, err?.$metadata?.httpStatusCode, err?.name, message, profile, ERROR_FIELDS);
}

function stringOf(value) {
  try {
    return String(value);
  } catch {
    return undefined; // e.g. a null-prototype object: no message rather than a crash in an error path
  }
}

function classify(api, status, code, message, profile, fields) {
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
  switch (profile) {
    case 'unified':
      break;
    case 'python':
      options |= PYTHON;
      break;
    case 'ts':
      options |= TS;
      break;
    default:
      throw enumError('profile', profile, '"unified", "python" or "ts"');
  }
  // An absent status and 0 both mean "no HTTP response" to the core.
  if (status == null) status = 0;
  else if (!(Number.isInteger(status) && status >= 0 && status <= 65535)) throw statusError(fields.status, status);
  if (code == null) code = '';
  else if (typeof code === 'string') options |= CODE_PRESENT;
  else throw wrongType(fields.code, code, 'a string or null');
  if (message == null) message = '';
  else if (typeof message === 'string') options |= MESSAGE_PRESENT;
  else throw wrongType(fields.message, message, 'a string or null');

  const byRule = results ?? loadRules();
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

function enumError(field, value, expected) {
  return typeof value === 'string' ? badValue(field, value, expected) : wrongType(field, value, expected);
}

function statusError(field, status) {
  if (typeof status !== 'number') return wrongType(field, status, 'an integer 0..65535 or null');
  return badValue(field, status, 'an integer 0..65535', Number.isInteger(status) ? 'out-of-range' : 'invalid-value');
}
