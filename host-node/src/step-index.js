// durable-core/step: the step state machine, the invocation engine and its Lambda transport.
// A subpath of its own: classify/retry users do not pay its import time at cold start.

export { step } from './step.js';
export { Engine, InvocationFailed, OperationError, Stopped, Suspended, UnreadableResponse } from './invocation.js';
export { LambdaTransport } from './service.js';
