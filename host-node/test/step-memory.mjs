// An in-memory checkpoint service for unit tests of runStep: tokens, the step transitions the
// service allows (conformance-notes 3.7), and injectable failures shaped like AWS SDK v3 errors.
// The end-to-end tests use the real local service (step-e2e.test.mjs).

/** An error as the AWS SDK v3 throws it: name = the AWS code, $metadata.httpStatusCode. */
export function awsError(status, code, message) {
  return Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: status } });
}

// Allowed prior statuses per STEP action.
const ALLOWED = {
  START: [undefined, 'READY'],
  SUCCEED: [undefined, 'STARTED', 'READY'],
  FAIL: [undefined, 'STARTED', 'READY'],
  RETRY: [undefined, 'STARTED', 'READY'],
};

export class MemoryService {
  constructor(nowMs = 1_700_000_000_000) {
    this.nowMs = nowMs;
    this.ops = new Map();
    this.seq = 0;
    this.calls = []; // the updates of each accepted checkpoint
    this.stateCalls = 0;
    this.failNext = undefined;
    this.pageSize = 1000;
    this.onCheckpoint = undefined; // (updates) => void, before the checkpoint is applied
  }

  get token() {
    return `token-${this.seq}`;
  }

  clock = () => this.nowMs;

  fireTimers() {
    for (const op of this.ops.values()) {
      const details = op.StepDetails ?? {};
      if (op.Status === 'PENDING' && details.NextAttemptTimestamp <= this.nowMs) {
        op.Status = 'READY';
        delete details.NextAttemptTimestamp;
      }
    }
  }

  async checkpoint(arn, token, updates) {
    await null; // answers asynchronously, as a real client does
    this.onCheckpoint?.(updates);
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    if (token !== this.token) throw awsError(400, 'InvalidParameterValueException', 'Invalid checkpoint token');
    const changed = new Map();
    for (const update of updates) changed.set(update.Id, this.#apply(update));
    this.calls.push(updates);
    this.seq++;
    return { token: this.token, operations: [...changed.values()].map(copy) };
  }

  async getState(arn, token, marker) {
    await null;
    this.stateCalls++;
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    const ops = [...this.ops.values()];
    const start = Number(marker ?? 0);
    const end = start + this.pageSize;
    return { operations: ops.slice(start, end).map(copy), nextMarker: end < ops.length ? String(end) : undefined };
  }

  #apply(update) {
    let op = this.ops.get(update.Id);
    const { Action: action } = update;
    if (update.Type !== 'STEP' || !ALLOWED[action]?.includes(op?.Status)) {
      throw awsError(400, 'InvalidParameterValueException', `Invalid ${action} for ${update.Type} in status ${op?.Status}`);
    }
    if (!op) {
      op = { StartTimestamp: this.nowMs };
      for (const key of ['Id', 'Type', 'SubType', 'Name', 'ParentId']) if (key in update) op[key] = update[key];
      this.ops.set(update.Id, op);
    }
    op.StepDetails ??= {};
    const details = op.StepDetails;
    if (action === 'START') {
      op.Status = 'STARTED';
      return op;
    }
    details.Attempt = (details.Attempt ?? 0) + 1;
    if (action === 'SUCCEED') {
      op.Status = 'SUCCEEDED';
      if ('Payload' in update) details.Result = update.Payload;
    } else if (action === 'FAIL') {
      op.Status = 'FAILED';
      details.Error = update.Error;
    } else {
      op.Status = 'PENDING';
      details.Error = update.Error;
      details.NextAttemptTimestamp = this.nowMs + update.StepOptions.NextAttemptDelaySeconds * 1000;
    }
    return op;
  }
}

function copy(op) {
  return structuredClone(op);
}
