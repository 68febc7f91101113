// The benchmark's native twin: the ts profile's checkpoint rule written directly in plain JS
// (what @aws/durable-execution-sdk-js 2.4.0 decides, without building its Error objects).
// Benchmark baseline only: the package itself never restates a rule.

const KMS = new Set(['KMSAccessDeniedException', 'KMSDisabledException', 'KMSInvalidStateException', 'KMSNotFoundException']);
const verdict = (category, rule) => Object.freeze({ category, retryable: category === 'INVOCATION', rule });
const STALE = verdict('INVOCATION', 'stale-checkpoint-token');
const CLIENT = verdict('EXECUTION', 'client-error');
const KMS_ERROR = verdict('EXECUTION', 'kms-customer-error');
const NO_RESPONSE = verdict('INVOCATION', 'no-http-response');
const THROTTLED = verdict('INVOCATION', 'throttled');
const SERVER = verdict('INVOCATION', 'server-error');
const OTHER = verdict('INVOCATION', 'other-status');

export function classifyTsTwin({ status, code, message }) {
  if (status >= 400 && status < 500) {
    if (code === 'InvalidParameterValueException' && (message ?? '').startsWith('Invalid Checkpoint Token')) return STALE;
    if (status !== 429) return CLIENT;
  }
  if (KMS.has(code)) return KMS_ERROR;
  if (!status) return NO_RESPONSE;
  if (status === 429) return THROTTLED;
  return status >= 500 && status < 600 ? SERVER : OTHER;
}
