// runStep against an in-memory service: which updates go out when, what comes back, and how
// service failures are classified. The same flows run against the real local service in
// step-e2e.test.mjs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CheckpointFailed,
  CheckpointToken,
  FailExecutionError,
  Invocation,
  LambdaServiceClient,
  NonDeterministicError,
  StepError,
  StepSerdesError,
  SuspendExecution,
  runStep,
} from '../src/step-index.js';
import { retry } from '../src/index.js';
import { MemoryService, awsError } from './step-memory.mjs';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/f/1';

class Declined extends Error {
  constructor(message) {
    super(message);
    this.name = 'Declined';
  }
}

const stepCall = (extra = {}) => ({ id: 'op-1', name: 'charge', profile: 'ts', ...extra });

function run(service, fn, { token, call = stepCall(), ...options } = {}) {
  return runStep(service, {
    executionArn: ARN,
    checkpointToken: token ?? new CheckpointToken(service.token),
    call,
    fn,
    clock: service.clock,
    random: 0.5,
    ...options,
  });
}

const actions = (service) => service.calls.map((batch) => batch.map((u) => u.Action));
const oneSecond = { config: { max_attempts: 3, initial_delay_seconds: 2, jitter: 'NONE' } };

test('first run sends START, then SUCCEED, and returns the round-tripped value; replay returns it again', async () => {
  const service = new MemoryService();
  const token = new CheckpointToken(service.token);
  const seen = [];
  const value = await run(service, async (attempt) => (seen.push(attempt), { total: 3, when: new Date(0), gone: undefined }), { token });
  // what a replay returns: deserialize(serialize(x))
  assert.deepEqual(value, { total: 3, when: '1970-01-01T00:00:00.000Z' });
  assert.deepEqual(seen, [1]);
  assert.deepEqual(actions(service), [['START'], ['SUCCEED']]);
  assert.deepEqual(service.calls[1][0], {
    Type: 'STEP',
    Action: 'SUCCEED',
    Id: 'op-1',
    SubType: 'Step',
    Payload: '{"total":3,"when":"1970-01-01T00:00:00.000Z"}',
    Name: 'charge',
  });
  assert.equal(token.value, service.token, 'the holder carries the next token');
  const replayed = await run(service, () => assert.fail('ran again'));
  assert.deepEqual(replayed, value);
  assert.equal(service.calls.length, 2);
});

test('undefined sends no Payload and replays as undefined', async () => {
  const service = new MemoryService();
  assert.equal(await run(service, () => undefined), undefined);
  assert.equal('Payload' in service.calls[1][0], false);
  assert.equal(await run(service, () => assert.fail('ran again')), undefined);
  const nulls = new MemoryService();
  assert.equal(await run(nulls, () => null), null);
  assert.equal(nulls.calls[1][0].Payload, 'null');
});

test('at-most-once: START is persisted before the function runs', async () => {
  const service = new MemoryService();
  const statuses = [];
  const fn = () => (statuses.push(service.ops.get('op-1')?.Status), 'ok');
  assert.equal(await run(service, fn, { call: stepCall({ semantics: 'AT_MOST_ONCE_PER_RETRY' }) }), 'ok');
  assert.deepEqual(statuses, ['STARTED']);
  assert.deepEqual(actions(service), [['START'], ['SUCCEED']]);
});

test('at-least-once: START goes out before the function runs, not awaited; the outcome waits for it', async () => {
  const service = new MemoryService();
  const seen = [];
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  service.onCheckpoint = (updates) => seen.push(`checkpoint ${updates.map((u) => u.Action)}`);
  const fn = async () => {
    seen.push('fn starts');
    await gate;
    seen.push(`fn sees ${service.ops.get('op-1')?.Status}`);
    return 'ok';
  };
  const running = run(service, fn);
  await new Promise((resolve) => setTimeout(resolve, 5));
  release();
  assert.equal(await running, 'ok');
  assert.deepEqual(seen, ['fn starts', 'checkpoint START', 'fn sees STARTED', 'checkpoint SUCCEED']);
});

test('a START that fails while the function runs is a CheckpointFailed, after the function', async () => {
  const service = new MemoryService();
  service.failNext = awsError(500, 'ServiceException', 'down');
  const ran = [];
  const error = await run(service, () => ran.push(1), { operations: new Map() }).catch((e) => e);
  assert.ok(error instanceof CheckpointFailed);
  assert.equal(error.rule, 'server-error');
  assert.deepEqual(ran, [1]);
  assert.deepEqual(service.calls, []);
});

test('a failure retries and suspends; the next invocation runs attempt 2 after the timer', async () => {
  const service = new MemoryService();
  const flaky = (attempt) => {
    if (attempt < 2) throw new Declined(`attempt ${attempt}`);
    return attempt;
  };
  await assert.rejects(run(service, flaky, { retry: oneSecond }), (error) => {
    assert.ok(error instanceof SuspendExecution);
    assert.equal(error.untilMs, service.nowMs + 2000);
    return true;
  });
  assert.deepEqual(actions(service), [['START'], ['RETRY']]);
  const retryUpdate = service.calls[1][0];
  assert.deepEqual(retryUpdate.Error, { ErrorMessage: 'attempt 1', ErrorType: 'Declined' });
  assert.deepEqual(retryUpdate.StepOptions, { NextAttemptDelaySeconds: 2 });
  // before the timer: still suspended, nothing sent
  await assert.rejects(run(service, flaky, { retry: oneSecond }), SuspendExecution);
  assert.equal(service.calls.length, 2);
  service.nowMs += 2000;
  service.fireTimers();
  assert.equal(await run(service, flaky, { retry: oneSecond }), 2);
  assert.deepEqual(actions(service), [['START'], ['RETRY'], ['START'], ['SUCCEED']]);
});

test('a retry Strategy from retry.createStrategy drives the decision', async () => {
  const service = new MemoryService();
  const strategy = retry.createStrategy(retry.exponential({ initialDelay: 9, jitter: 'NONE', retryableErrorTypes: [Declined] }), { profile: 'ts' });
  await assert.rejects(run(service, () => { throw new Declined('x'); }, { strategy }), (e) => e instanceof SuspendExecution && e.untilMs === service.nowMs + 9000);
  const other = new MemoryService();
  await assert.rejects(run(other, () => { throw new TypeError('x'); }, { strategy }), StepError);
  assert.deepEqual(actions(other), [['START'], ['FAIL']]);
});

test('exhausted retries fail the step; replay throws the same error', async () => {
  const service = new MemoryService();
  const thrown = new Declined('no funds');
  const first = await run(service, () => { throw thrown; }, { retry: { preset: { name: 'no-retry' } } }).catch((e) => e);
  assert.ok(first instanceof StepError);
  assert.deepEqual(actions(service), [['START'], ['FAIL']]);
  assert.equal(first.name, 'StepError');
  assert.equal(first.errorClass, 'StepError');
  assert.equal(first.errorType, 'Declined');
  assert.equal(first.message, 'no funds');
  assert.equal(first.thrown, thrown);
  assert.equal(first.cause.name, 'Declined'); // rebuilt from the ErrorObject, as the SDK does
  const replayed = await run(service, () => assert.fail('ran again')).catch((e) => e);
  assert.ok(replayed instanceof StepError);
  assert.deepEqual(replayed.error, first.error);
  assert.equal(replayed.message, first.message);
  assert.equal(replayed.thrown, undefined);
  assert.equal(service.calls.length, 2);
});

test('a FAILED step recorded with a known SDK error type is rethrown under that class name', async () => {
  const service = new MemoryService();
  service.ops.set('op-1', { Id: 'op-1', Type: 'STEP', SubType: 'Step', Name: 'charge', Status: 'FAILED', StepDetails: { Attempt: 1, Error: { ErrorType: 'InvokeError' } } });
  const error = await run(service, () => 1).catch((e) => e);
  assert.ok(error instanceof StepError);
  assert.equal(error.name, 'InvokeError');
  assert.equal(error.message, 'Invoke failed');
  service.ops.get('op-1').StepDetails = { Attempt: 1 };
  const bare = await run(service, () => 1).catch((e) => e);
  assert.equal(bare.message, 'Unknown error');
});

test('an unrecoverable error escapes as is, after START', async () => {
  const service = new MemoryService();
  const fatal = Object.assign(new Error('fatal'), { isUnrecoverable: true });
  await assert.rejects(run(service, () => { throw fatal; }), (e) => e === fatal);
  assert.deepEqual(actions(service), [['START']]);
});

test('an oversized result is not sent and fails the execution', async () => {
  const service = new MemoryService();
  const error = await run(service, () => 'x'.repeat(300_000)).catch((e) => e);
  assert.ok(error instanceof FailExecutionError);
  assert.equal(error.rule, 'step-payload-too-large');
  assert.equal(error.category, 'EXECUTION');
  assert.match(error.message, /262144/);
  assert.deepEqual(actions(service), [['START']]);
});

test('an interrupted at-most-once step is retried without running it, or failed', async () => {
  const service = new MemoryService();
  const atMostOnce = stepCall({ semantics: 'AT_MOST_ONCE_PER_RETRY' });
  class Crash extends Error {}
  // The process "dies" mid-step: the thrown value is not a step outcome, so escape it untouched.
  await assert.rejects(run(service, () => { throw Object.assign(new Crash(), { isUnrecoverable: true }); }, { call: atMostOnce }), Crash);
  assert.deepEqual(actions(service), [['START']]);
  await assert.rejects(run(service, () => assert.fail('must not run'), { call: atMostOnce }), SuspendExecution);
  const retryUpdate = service.calls[1][0];
  assert.equal(retryUpdate.Action, 'RETRY');
  assert.equal(retryUpdate.Error.ErrorType, 'StepInterruptedError');
  const failing = new MemoryService();
  failing.ops.set('op-1', { Id: 'op-1', Type: 'STEP', SubType: 'Step', Name: 'charge', Status: 'STARTED' });
  const error = await run(failing, () => assert.fail('must not run'), { call: atMostOnce, retry: { preset: { name: 'no-retry' } } }).catch((e) => e);
  assert.ok(error instanceof StepError);
  assert.match(error.message, /interruption/);
  assert.deepEqual(actions(failing), [['FAIL']]);
});

test('a renamed step is a NonDeterministicError (ts and python)', async () => {
  const service = new MemoryService();
  await run(service, () => 1);
  const error = await run(service, () => 1, { call: stepCall({ name: 'refund' }) }).catch((e) => e);
  assert.ok(error instanceof NonDeterministicError);
  assert.deepEqual([error.field, error.expected, error.actual], ['Name', 'refund', 'charge']);
  assert.match(error.message, /Operation name mismatch for step "op-1". Expected name "charge", but got "refund"/);
  // python 3.0.0 checks too (OperationIdentifier.validate_checkpoint)
  const python = await run(service, () => 2, { call: stepCall({ name: 'refund' }), profile: 'python' }).catch((e) => e);
  assert.ok(python instanceof NonDeterministicError);
});

test('checkpoint failures are classified by the core', async () => {
  const cases = [
    [awsError(400, 'InvalidParameterValueException', 'Invalid checkpoint token: x'), 'INVOCATION', 'stale-checkpoint-token', 'unified'],
    [awsError(400, 'InvalidParameterValueException', 'Invalid update'), 'EXECUTION', 'client-error', 'unified'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'INVOCATION', 'no-http-response', 'unified'],
    [awsError(502, 'KMSAccessDeniedException', 'denied'), 'EXECUTION', 'kms-customer-error', 'ts'],
    [awsError(429, 'TooManyRequestsException', 'slow down'), 'INVOCATION', 'throttled', 'ts'],
    ['a thrown string', 'INVOCATION', 'no-http-response', 'ts'],
    // A text status is read as the JS SDK reads it (Number('x') is NaN: no range matches).
    [Object.assign(new Error('odd'), { $metadata: { httpStatusCode: 'x' } }), 'INVOCATION', 'other-status', 'ts'],
    [Object.assign(new Error('odd'), { name: 7 }), 'INVOCATION', 'no-http-response', 'ts'],
  ];
  for (const [thrown, category, rule, profile] of cases) {
    const service = new MemoryService();
    service.failNext = thrown;
    const error = await run(service, () => 1, { operations: new Map(), profile }).catch((e) => e);
    assert.ok(error instanceof CheckpointFailed, `${thrown}: ${error}`);
    assert.deepEqual([error.category, error.rule, error.retryable, error.api], [category, rule, category === 'INVOCATION', 'checkpoint'], String(thrown));
    assert.equal(error.cause, thrown);
  }
});

test('state fetch failures are classified as get-state', async () => {
  const service = new MemoryService();
  service.failNext = awsError(500, 'ServiceException', 'boom');
  const error = await run(service, () => 1).catch((e) => e);
  assert.ok(error instanceof CheckpointFailed);
  assert.equal(error.api, 'get-state');
  assert.equal(error.category, 'INVOCATION');
});

test('a stale token is rejected by the service and classified per profile', async () => {
  const service = new MemoryService();
  await run(service, () => 1);
  // The service says "Invalid checkpoint token"; @aws/durable-execution-sdk-js 2.4.0 matches
  // "Invalid Checkpoint Token" (conformance-notes 3.5), so ts calls it a client error.
  const expected = { python: 'stale-checkpoint-token', unified: 'stale-checkpoint-token', ts: 'client-error' };
  for (const [profile, rule] of Object.entries(expected)) {
    const error = await run(service, () => 2, { call: stepCall({ id: 'op-2' }), token: new CheckpointToken('token-0'), profile }).catch((e) => e);
    assert.equal(error.rule, rule, profile);
  }
});

test('sleep waits in-process for the retry timer and polls until READY', async () => {
  const service = new MemoryService();
  const sleeps = [];
  const sleep = async (ms) => {
    sleeps.push(ms);
    service.nowMs += ms;
    if (sleeps.length > 1) service.fireTimers(); // the service flips PENDING -> READY a little late
  };
  const flaky = (attempt) => {
    if (attempt === 1) throw new Declined('once');
    return 'second time';
  };
  assert.equal(await run(service, flaky, { sleep, retry: { config: { initial_delay_seconds: 3, jitter: 'NONE' } } }), 'second time');
  assert.deepEqual(sleeps, [3000, 1000]);
  assert.deepEqual(actions(service), [['START'], ['RETRY'], ['START'], ['SUCCEED']]);
});

test('sleep gives up after maxWaitMs and suspends', async () => {
  const service = new MemoryService();
  const sleeps = [];
  const sleep = async (ms) => {
    sleeps.push(ms);
    service.nowMs += ms; // the timer never fires
  };
  const options = { sleep, maxWaitMs: 10_000, retry: { config: { initial_delay_seconds: 3, jitter: 'NONE' } } };
  await assert.rejects(run(service, () => { throw new Declined('x'); }, options), SuspendExecution);
  assert.deepEqual(sleeps, [3000, 1000, 2000, 3000]);
});

test('serdes failures send nothing for the outcome', async () => {
  const service = new MemoryService();
  const error = await run(service, () => 10n).catch((e) => e); // a BigInt is not JSON
  assert.ok(error instanceof StepSerdesError);
  assert.equal(error.phase, 'serialize');
  assert.ok(error.cause instanceof TypeError);
  assert.deepEqual(actions(service), [['START']], 'START went out before the function ran');
  await assert.rejects(run(service, () => 'x', { serialize: () => 5 }), StepSerdesError);
  await assert.rejects(run(service, () => 'x', { deserialize: () => { throw new Error('no'); } }), (e) => e instanceof StepSerdesError && e.phase === 'deserialize');
});

test('custom serdes: the payload is what serialize gives, the value what deserialize makes of it', async () => {
  const service = new MemoryService();
  const serdes = { serialize: (v) => `<${v}>`, deserialize: (s) => s.slice(1, -1).toUpperCase() };
  assert.equal(await run(service, () => 'abc', serdes), 'ABC');
  assert.equal(service.calls[1][0].Payload, '<abc>');
  assert.equal(await run(service, () => assert.fail('ran'), serdes), 'ABC');
});

test('Invocation pages the initial state and tracks the token', async () => {
  const service = new MemoryService();
  service.pageSize = 2;
  for (let n = 0; n < 5; n++) {
    service.ops.set(`op-${n}`, { Id: `op-${n}`, Type: 'STEP', SubType: 'Step', Status: 'SUCCEEDED', StepDetails: { Attempt: 1, Result: JSON.stringify(n) } });
  }
  const { operations, nextMarker } = await service.getState(ARN, service.token);
  const event = { DurableExecutionArn: ARN, CheckpointToken: service.token, InitialExecutionState: { Operations: operations, NextMarker: nextMarker } };
  const invocation = await Invocation.fromEvent(service, event);
  assert.deepEqual([...invocation.operations.keys()], ['op-0', 'op-1', 'op-2', 'op-3', 'op-4']);
  const before = service.stateCalls;
  assert.equal(await invocation.step({ id: 'op-4', profile: 'ts' }, () => 99), 4);
  assert.equal(service.stateCalls, before, 'read from the invocation operations');
  assert.equal(await invocation.step({ id: 'op-9', profile: 'ts' }, () => 9, { clock: service.clock }), 9);
  assert.equal(invocation.token.value, service.token);
  assert.equal(invocation.operations.get('op-9').Status, 'SUCCEEDED');
  await assert.rejects(Invocation.fromEvent(service, { DurableExecutionArn: ARN }), { name: 'TypeError', field: 'event.CheckpointToken' });
  service.failNext = awsError(500, 'ServiceException', 'x');
  await assert.rejects(Invocation.fromEvent(service, event), (e) => e instanceof CheckpointFailed && e.api === 'get-state');
});

test('release profile names drive the same rules as their aliases; a programming error is not classified', async () => {
  const stale = () => awsError(400, 'InvalidParameterValueException', 'Invalid checkpoint token: x');
  for (const [alias, release] of [['ts', 'ts@2.4.0'], ['python', 'python@3.0.0']]) {
    const outcomes = [];
    for (const profile of [alias, release]) {
      const service = new MemoryService();
      service.failNext = stale();
      const error = await run(service, () => 1, { operations: new Map(), profile }).catch((e) => e);
      assert.ok(error instanceof CheckpointFailed, String(error));
      outcomes.push([error.category, error.rule]);
    }
    assert.deepEqual(outcomes[0], outcomes[1], alias);
  }
  const service = new MemoryService();
  service.failNext = new TypeError('client.checkpoint is not a function');
  const error = await run(service, () => 1, { operations: new Map(), profile: 'ts@2.4.0' }).catch((e) => e);
  assert.ok(error instanceof TypeError && !(error instanceof CheckpointFailed) && error.field === 'err', String(error));
});

test('argument errors name the field', async () => {
  const service = new MemoryService();
  await assert.rejects(run(service, 'not a function'), { name: 'TypeError', field: 'fn' });
  await assert.rejects(runStep(service, { executionArn: ARN, checkpointToken: 't', call: 'op-1', fn: () => 1 }), { name: 'TypeError', field: 'call' });
  await assert.rejects(runStep(service, { executionArn: ARN, checkpointToken: 5, call: stepCall(), fn: () => 1 }), { name: 'TypeError', field: 'checkpointToken' });
  await assert.rejects(runStep({}, { executionArn: ARN, checkpointToken: 't', call: stepCall(), fn: () => 1 }), { name: 'TypeError', field: 'client' });
  await assert.rejects(run(service, () => 1, { sleep: 5 }), { name: 'TypeError', field: 'sleep' });
  await assert.rejects(run(service, () => 1, { operations: {} }), { name: 'TypeError', field: 'operations' });
  await assert.rejects(runStep(service, null), { name: 'TypeError', field: 'options' });
  await assert.rejects(run(service, () => 1, { profile: 'java' }), { name: 'RangeError', field: 'call.profile' });
  await assert.rejects(run(service, () => 1, { profile: 'ts@2.3.0' }), { name: 'RangeError', field: 'call.profile' });
  assert.equal(service.stateCalls, 0, 'rejected before any service call');
});

// ---- LambdaServiceClient over stand-ins for the AWS SDK v3 clients

class FakeCommand {
  constructor(input) {
    this.input = input;
  }
}
class CheckpointDurableExecutionCommand extends FakeCommand {}
class GetDurableExecutionStateCommand extends FakeCommand {}

test('LambdaServiceClient: a bare LambdaClient with the command classes', async () => {
  const sent = [];
  const when = new Date(1_700_000_005_000);
  const lambda = {
    async send(command) {
      sent.push(command);
      if (command instanceof CheckpointDurableExecutionCommand) {
        return {
          $metadata: { httpStatusCode: 200 },
          CheckpointToken: 'next',
          NewExecutionState: { Operations: [{ Id: 'a', Status: 'PENDING', StartTimestamp: when, StepDetails: { NextAttemptTimestamp: when } }] },
        };
      }
      return { Operations: [{ Id: 'a', StartTimestamp: when }], NextMarker: '' };
    },
  };
  const client = new LambdaServiceClient(lambda, { commands: { CheckpointDurableExecutionCommand, GetDurableExecutionStateCommand }, maxItems: 50 });
  const result = await client.checkpoint(ARN, 'tok', ['{"Type":"STEP","Action":"START","Id":"a","Name":null}'], { clientToken: 'idem' });
  assert.deepEqual(sent[0].input, { DurableExecutionArn: ARN, CheckpointToken: 'tok', Updates: [{ Type: 'STEP', Action: 'START', Id: 'a' }], ClientToken: 'idem' });
  assert.deepEqual(result, {
    token: 'next',
    operations: [{ Id: 'a', Status: 'PENDING', StartTimestamp: when.getTime(), StepDetails: { NextAttemptTimestamp: when.getTime() } }],
    nextMarker: undefined,
  });
  assert.deepEqual(await client.getState(ARN, 'tok', 'm1'), { operations: [{ Id: 'a', StartTimestamp: when.getTime() }], nextMarker: undefined });
  assert.deepEqual(sent[1].input, { DurableExecutionArn: ARN, CheckpointToken: 'tok', MaxItems: 50, Marker: 'm1' });
  await assert.rejects(client.checkpoint(ARN, 'tok', [{ Id: 'a', Bogus: 1 }]), { name: 'RangeError', field: 'updates.Bogus' });
});

test('LambdaServiceClient: an aggregated Lambda client, and errors left as thrown', async () => {
  const failure = awsError(429, 'TooManyRequestsException', 'slow');
  const lambda = {
    checkpointDurableExecution: async (input) => ({ CheckpointToken: `${input.CheckpointToken}+1`, NewExecutionState: {} }),
    getDurableExecutionState: async () => {
      throw failure;
    },
  };
  const client = new LambdaServiceClient(lambda);
  assert.deepEqual(await client.checkpoint(ARN, 't', []), { token: 't+1', operations: [], nextMarker: undefined });
  await assert.rejects(client.getState(ARN, 't'), (e) => e === failure);
  assert.throws(() => new LambdaServiceClient({}), { name: 'TypeError', field: 'lambda' });
  assert.throws(() => new LambdaServiceClient(lambda, { maxItems: 1001 }), { name: 'RangeError', field: 'maxItems' });
  assert.throws(() => new LambdaServiceClient({ send() {} }, { commands: {} }), { name: 'TypeError', field: 'commands.CheckpointDurableExecutionCommand' });
});

test('LambdaServiceClient: a bare LambdaClient imports the real command classes on first use', async () => {
  const { CheckpointDurableExecutionCommand: Real } = await import('@aws-sdk/client-lambda');
  let seen;
  const client = new LambdaServiceClient({ send: async (command) => ((seen = command), { CheckpointToken: 'n', NewExecutionState: {} }) });
  await client.checkpoint(ARN, 't', []);
  assert.ok(seen instanceof Real);
});

test('a retry timer past the range of Date suspends (after the RETRY) instead of throwing', async () => {
  const service = new MemoryService();
  // ts profile: a delay up to 2^53-1 s is sent as is; epoch ms of now + that overflow Date.
  const huge = { config: { max_attempts: 3, initial_delay_seconds: 2 ** 52, max_delay_seconds: 2 ** 52, jitter: 'NONE' } };
  await assert.rejects(
    run(service, () => { throw new Declined('x'); }, { retry: huge }),
    (e) => e instanceof SuspendExecution && e.untilMs > 8.64e15 && /epoch \d+ ms/.test(e.message),
  );
  assert.deepEqual(actions(service), [['START'], ['RETRY']]);
});
