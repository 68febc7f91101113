// aws.createDurableExecutionClient: the JS SDK's public hook (DurableExecutionClient +
// DurableExecutionClientError scope) with durable-core's classification. The SDK believes the
// scope; profile ts must give the SDK's own category, unified the reconciled one. The runs on
// the local service are the conformance suite checkpoint-faults (tests/conformance).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DurableExecutionClientErrorScope, isDurableExecutionClientError } from '@aws/durable-execution-sdk-js';
import { aws } from '../src/index.js';

class Command {
  constructor(input) {
    this.input = input;
  }
}
class CheckpointDurableExecutionCommand extends Command {}
class GetDurableExecutionStateCommand extends Command {}
const commands = { CheckpointDurableExecutionCommand, GetDurableExecutionStateCommand };

function awsError(status, name, message) {
  const error = new Error(message);
  error.name = name;
  error.$metadata = { httpStatusCode: status };
  return error;
}

function lambdaFailingWith(error) {
  const sent = [];
  return { sent, send: async (command) => { sent.push(command); if (error) throw error; return { CheckpointToken: 'next', Operations: [] }; } };
}

async function scopeOf(error, api, profile) {
  const client = aws.createDurableExecutionClient(lambdaFailingWith(error), { profile, commands });
  const call = api === 'checkpoint'
    ? client.checkpoint({ DurableExecutionArn: 'a', CheckpointToken: 't', Updates: [] })
    : client.getExecutionState({ DurableExecutionArn: 'a', CheckpointToken: 't', Marker: 'm', MaxItems: 1000 });
  const thrown = await call.then(() => assert.fail('no error'), (e) => e);
  assert.ok(isDurableExecutionClientError(thrown), 'the SDK recognises it');
  assert.equal(thrown.cause, error);
  assert.equal(thrown.message, error.message);
  assert.equal(thrown.name, error.name, 'the AWS error name is kept (the ErrorType a failed execution records)');
  assert.equal(thrown.classification.category, thrown.scope);
  return thrown.scope;
}

const { INVOCATION, EXECUTION } = DurableExecutionClientErrorScope;

test('the service stale-token message: ts fails the execution as the SDK does, unified retries', async () => {
  const stale = () => awsError(400, 'InvalidParameterValueException', 'Invalid checkpoint token');
  assert.equal(await scopeOf(stale(), 'checkpoint', 'ts'), EXECUTION);
  assert.equal(await scopeOf(stale(), 'checkpoint', 'unified'), INVOCATION);
  assert.equal(await scopeOf(stale(), 'checkpoint', undefined), INVOCATION, 'default profile unified');
});

test('state reads: ts retries everything but KMS, as the SDK does; unified fails a 4xx', async () => {
  const bad = () => awsError(400, 'InvalidParameterValueException', 'bad marker');
  assert.equal(await scopeOf(bad(), 'get-state', 'ts'), INVOCATION);
  assert.equal(await scopeOf(bad(), 'get-state', 'unified'), EXECUTION);
  const kms = () => awsError(502, 'KMSNotFoundException', 'no key');
  assert.equal(await scopeOf(kms(), 'get-state', 'ts'), EXECUTION);
  assert.equal(await scopeOf(kms(), 'checkpoint', 'unified'), EXECUTION);
  const reset = () => Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
  assert.equal(await scopeOf(reset(), 'checkpoint', 'unified'), INVOCATION);
});

test('calls go out as the SDK sends them; answers come back unchanged', async () => {
  const lambda = lambdaFailingWith(null);
  const client = aws.createDurableExecutionClient(lambda, { commands });
  const answer = await client.checkpoint({ DurableExecutionArn: 'a', CheckpointToken: 't', ClientToken: 'c', Updates: [{ Id: '1' }], Extra: 1 });
  assert.deepEqual(answer, { CheckpointToken: 'next', Operations: [] });
  await client.getExecutionState({ DurableExecutionArn: 'a', CheckpointToken: 't', Marker: 'm', MaxItems: 1000 });
  assert.ok(lambda.sent[0] instanceof CheckpointDurableExecutionCommand);
  assert.deepEqual(lambda.sent[0].input, { DurableExecutionArn: 'a', CheckpointToken: 't', ClientToken: 'c', Updates: [{ Id: '1' }] });
  assert.ok(lambda.sent[1] instanceof GetDurableExecutionStateCommand);
  assert.deepEqual(lambda.sent[1].input, { DurableExecutionArn: 'a', CheckpointToken: 't', Marker: 'm', MaxItems: 1000 });
});

test('bad arguments are named at creation', () => {
  assert.throws(() => aws.createDurableExecutionClient({}), (e) => e instanceof TypeError && e.field === 'lambda');
  assert.throws(() => aws.createDurableExecutionClient(lambdaFailingWith(null), { profile: 'java' }), (e) => e instanceof RangeError && e.field === 'profile');
  assert.throws(() => aws.createDurableExecutionClient(lambdaFailingWith(null), { commands: {} }), (e) => e instanceof TypeError && e.field === 'commands.CheckpointDurableExecutionCommand');
});
