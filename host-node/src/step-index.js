// durable-core/step: the step state machine, the runStep driver and the service client.
// A subpath of its own: classify/retry users do not pay its import time at cold start.

export { step } from './step.js';
export {
  runStep,
  Invocation,
  CheckpointToken,
  StepError,
  SuspendExecution,
  NonDeterministicError,
  FailExecutionError,
  CheckpointFailed,
  StepSerdesError,
} from './driver.js';
export { LambdaServiceClient } from './service.js';
