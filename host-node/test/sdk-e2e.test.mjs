// durable-core/sdk end to end: handlers written for @aws/durable-execution-sdk-js, with only the
// package name in their imports changed, run on durable-core's invocation engine against the
// Python testing SDK's local service, which validates every checkpoint, fires timers and
// re-invokes. Assertions are on what the service recorded.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalService, lambdaClient, skip } from './dex.mjs';
import { ChildContextError, createRetryStrategy, retryPresets, withDurableExecution } from '../src/sdk.js';

const kinds = (history) => history.map((e) => [e.EventType, e.Name ?? null]);
const has = (history, type, name) => kinds(history).some(([t, n]) => t === type && n === name);

describe('durable-core/sdk on the local service', { skip }, () => {
  const service = new LocalService();
  before(() => service.start());
  after(() => service.close());

  async function run(handler, input) {
    const arn = await service.startExecution(handler, input);
    const execution = await service.wait(arn);
    return { execution, history: await service.history(arn) };
  }

  for (const profile of ['ts', 'unified']) {
    it(`steps (named and not), a wait and a child context (${profile})`, async () => {
      let replays = 0;
      const handler = withDurableExecution(
        async (event, context) => {
          const total = await context.step('add', async () => event.a + 2);
          replays++;
          const plain = await context.step(async () => 'unnamed');
          await context.wait('pause', { seconds: 1 });
          const twice = await context.runInChildContext('child', (child) => child.step('double', async () => total * 2));
          return { total, twice, plain };
        },
        { client: lambdaClient(service.url), profile },
      );
      const { execution, history } = await run(handler, { a: 1 });
      assert.equal(execution.Status, 'SUCCEEDED', service.log());
      assert.deepEqual(JSON.parse(execution.Result), { total: 3, twice: 6, plain: 'unnamed' });
      assert.ok(has(history, 'StepSucceeded', 'add') && has(history, 'WaitSucceeded', 'pause'));
      assert.ok(has(history, 'ContextSucceeded', 'child') && has(history, 'StepSucceeded', 'double'));
      assert.equal(replays, 2, 'the step ran once; the second invocation replayed it');
    });

    it(`a retried step suspends and succeeds on a later invocation (${profile})`, async () => {
      const attempts = [];
      const retryStrategy = createRetryStrategy({ maxAttempts: 3, initialDelay: { seconds: 1 }, jitter: 'NONE' });
      const handler = withDurableExecution(
        (event, context) =>
          context.step(
            'flaky',
            async ({ attempt }) => {
              attempts.push(attempt);
              if (attempt < 2) throw new Error('not yet');
              return 'ok';
            },
            { retryStrategy },
          ),
        { client: lambdaClient(service.url), profile },
      );
      const { execution, history } = await run(handler);
      assert.equal(execution.Status, 'SUCCEEDED', service.log());
      assert.deepEqual(attempts, [1, 2]);
      const types = kinds(history).map(([t]) => t);
      assert.equal(types.filter((t) => t === 'StepFailed').length, 1);
    });

    it(`a child's error is caught by the parent; an uncaught step error fails the execution (${profile})`, async () => {
      const caught = withDurableExecution(
        async (event, context) => {
          try {
            await context.runInChildContext('bad', async () => {
              throw new Error('inner');
            });
          } catch (error) {
            return error instanceof ChildContextError ? `caught ${error.message}` : 'wrong class';
          }
          return 'not caught';
        },
        { client: lambdaClient(service.url), profile },
      );
      const first = await run(caught);
      assert.equal(first.execution.Status, 'SUCCEEDED', service.log());
      assert.equal(JSON.parse(first.execution.Result), 'caught inner');
      assert.ok(has(first.history, 'ContextFailed', 'bad'));

      const failing = withDurableExecution(
        (event, context) =>
          context.step('boom', async () => {
            throw new TypeError('missing');
          }, { retryStrategy: retryPresets.noRetry }),
        { client: lambdaClient(service.url), profile },
      );
      const second = await run(failing);
      assert.equal(second.execution.Status, 'FAILED', service.log());
      assert.match(second.execution.Error.ErrorMessage, /missing/);
    });
  }
});
