// Inputs that used to be silently changed (a lone surrogate encoded as U+FFFD, so ids differed
// from the Python host's) or accepted: each is a typed error naming the field, as on Python.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { step } from '../src/step-index.js';

const rejects = (field, run) =>
  assert.throws(run, (e) => e instanceof RangeError && e.field === field, `expected a RangeError naming ${field}`);

test('a lone surrogate in an operation id parent names parent', () => {
  rejects('parent', () => step.operationId('ts', '\ud800', 1));
  rejects('parent', () => step.operationId('python', 'a\udfffb', 2));
  assert.equal(step.operationId('ts', '1', 2).id, '98c6f2c2287f4c73');
});

test('a raw lone surrogate in request text is rejected, not replaced', () => {
  rejects('request', () => step.beginJson('{"profile":"ts","id":"c4ca4238a0b92382","name":"\ud800","now_ms":1}'));
  // Escaped, the core itself rejects it.
  rejects('request', () => step.beginJson('{"profile":"ts","id":"c4ca4238a0b92382","name":"\\ud800","now_ms":1}'));
});

test('an outcome is exactly one of success and failure, each an object', () => {
  const request = { profile: 'ts', id: 'c4ca4238a0b92382', now_ms: 1, attempt: 1 };
  rejects('outcome.success', () => step.completeJson({ ...request, outcome: { success: 5 } }));
  rejects('outcome.failure', () => step.completeJson({ ...request, outcome: { failure: 5 } }));
  rejects('outcome', () => step.completeJson({ ...request, outcome: { success: {}, failure: {} } }));
});

test('numbers JSON cannot carry name their field', () => {
  const call = { id: 'c4ca4238a0b92382', name: 'charge', profile: 'ts' };
  for (const nowMs of [NaN, Infinity]) rejects('nowMs', () => step.begin(call, null, { nowMs }));
  rejects('attempt', () => step.complete(call, Infinity, { success: { payload: '1' } }, { nowMs: 1 }));
});

test('a checkpoint body JSON cannot carry is an unreadable response, and a clock that is not a number is named', async () => {
  // A transport answering with one used to be reported as a trap of the whole component (every
  // open invocation lost); now the invocation stops as for a body that is not JSON.
  const { Engine, InvocationFailed, Stopped } = await import('../src/invocation.js');
  const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/run/e';
  const cyclic = { CheckpointToken: 't1' };
  cyclic.self = cyclic;
  for (const body of [cyclic, { CheckpointToken: 't1', n: 1n }]) {
    const transport = { async checkpoint() { return body; }, async getState() { return { Operations: [] }; } };
    const engine = await Engine.open({ DurableExecutionArn: ARN, CheckpointToken: 't0' }, transport, { profile: 'ts', idleFlush: false });
    await assert.rejects(engine.step(0, 's', () => 1), Stopped);
    await assert.rejects(engine.finishStopped(), (e) => e instanceof InvocationFailed && e.rule === 'unreadable-response');
  }
  const transport = { async checkpoint() { return { CheckpointToken: 't1' }; }, async getState() { return { Operations: [] }; } };
  const engine = await Engine.open({ DurableExecutionArn: ARN, CheckpointToken: 't0' }, transport, { profile: 'ts', clock: () => 5n });
  await assert.rejects(engine.step(0, 's', () => 1), (e) => e instanceof TypeError && e.field === 'clock()');
  engine.close();
});
