// runStep end to end against a real validator: the Python testing SDK's local service
// (`dex-local-runner start-server`), spoken to through the AWS SDK v3 Lambda client.
//
// The service plays Lambda's durable-execution side: it starts executions, invokes the function
// with the durable invocation input, validates and applies every checkpoint, fires retry timers
// and re-invokes. The function is a small Lambda-compatible HTTP endpoint in this process whose
// handlers run steps with Invocation/runStep through LambdaServiceClient. Every assertion is on
// what the service recorded (history, result) and what the handlers saw.
//
// Loopback only; dummy credentials; the server is always stopped; every wait is bounded.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import {
  CheckpointFailed,
  CheckpointToken,
  Invocation,
  LambdaServiceClient,
  StepError,
  SuspendExecution,
  runStep,
  step,
} from '../src/step-index.js';
import { classifyApiError, classifyError, retry } from '../src/index.js';

const LOOPBACK = '127.0.0.1';
const RUNNER = fileURLToPath(new URL('../../.venv/bin/dex-local-runner', import.meta.url));
// Dummy credentials: the local service checks none, but the SDKs want some, and without them they
// would go looking (instance metadata included).
const DUMMY_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
  AWS_DEFAULT_REGION: 'us-west-2',
  AWS_REGION: 'us-west-2',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const WAIT_MS = 40_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let sdk; // @aws-sdk/client-lambda, a dependency of the JS testing SDK (not of durable-core)
try {
  sdk = await import('@aws-sdk/client-lambda');
} catch {
  sdk = undefined;
}
const skip = !existsSync(RUNNER) ? `no ${RUNNER} (tests/requirements.txt)` : !sdk ? 'no @aws-sdk/client-lambda' : false;

/** The process dies mid-step: the driver lets it through untouched (no update) and Lambda reports an Unhandled error. */
class Crash extends Error {
  isUnrecoverable = true;
}
class Declined extends Error {
  constructor(message) {
    super(message);
    this.name = 'Declined';
  }
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve(server.address().port));
  });
}

async function freePort() {
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A Lambda-compatible Invoke endpoint: POST /2015-03-31/functions/<name>/invocations runs the handler registered under <name>. */
class FunctionEndpoint {
  handlers = new Map();

  async start() {
    this.server = createServer(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(request.url ?? '');
      const headers = { 'Content-Type': 'application/json' };
      let output;
      try {
        const handler = this.handlers.get(decodeURIComponent(match?.[1] ?? ''));
        if (!handler) throw new Error(`no function ${match?.[1]}`);
        output = await handler(JSON.parse(body));
      } catch (error) {
        output = { errorMessage: String(error?.message ?? error), errorType: error instanceof Crash ? 'Runtime.ExitError' : 'Error' };
        headers['X-Amz-Function-Error'] = 'Unhandled';
      }
      const data = Buffer.from(JSON.stringify(output));
      response.writeHead(200, { ...headers, 'Content-Length': data.length });
      response.end(data);
    });
    this.url = `http://${LOOPBACK}:${await listen(this.server)}`;
  }

  close() {
    this.server?.closeAllConnections?.();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** dex-local-runner on a loopback port, plus the helpers the scenarios need. */
class LocalService {
  functions = new FunctionEndpoint();

  async start() {
    await this.functions.start();
    const port = await freePort();
    this.url = `http://${LOOPBACK}:${port}`;
    this.dir = mkdtempSync(join(tmpdir(), 'dex-'));
    this.logPath = join(this.dir, 'dex-local-runner.log');
    const { openSync } = await import('node:fs');
    const log = openSync(this.logPath, 'w');
    this.process = spawn(
      RUNNER,
      [
        'start-server',
        ...['--host', LOOPBACK, '--port', String(port)],
        ...['--lambda-endpoint', this.functions.url, '--local-runner-endpoint', this.url],
        ...['--execution-timeout', '120', '--invocation-timeout', '60', '--log-level', 'WARNING'],
      ],
      { stdio: ['ignore', log, log], env: { ...process.env, ...DUMMY_ENV }, cwd: this.dir },
    );
    this.exited = new Promise((resolve) => this.process.once('exit', resolve));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.process.exitCode !== null) throw new Error(`dex-local-runner exited:\n${this.log()}`);
      try {
        const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) });
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`dex-local-runner not ready in 30 s:\n${this.log()}`);
      await sleep(100);
    }
    this.lambda = lambdaClient(this.url);
  }

  log() {
    try {
      return readFileSync(this.logPath, 'utf8').slice(-4000);
    } catch {
      return '(no log)';
    }
  }

  async close() {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGTERM');
      const stopped = await Promise.race([this.exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!stopped) {
        this.process.kill('SIGKILL');
        await Promise.race([this.exited, sleep(5000)]);
      }
    }
    this.lambda?.destroy();
    await this.functions.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Register `handler` as a new function and start an execution of it. */
  async startExecution(handler, input = {}) {
    const name = `fn-${randomUUID().slice(0, 12)}`;
    this.functions.handlers.set(name, handler);
    const response = await fetch(`${this.url}/start-durable-execution`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      signal: AbortSignal.timeout(10_000),
      body: JSON.stringify({
        AccountId: '123456789012',
        FunctionName: name,
        FunctionQualifier: '$LATEST',
        ExecutionName: name,
        ExecutionTimeoutSeconds: 120,
        ExecutionRetentionPeriodDays: 1,
        Input: JSON.stringify(input),
        LambdaEndpoint: this.functions.url,
      }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()).ExecutionArn;
  }

  async wait(arn) {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      const execution = await this.lambda.send(new sdk.GetDurableExecutionCommand({ DurableExecutionArn: arn }));
      if (execution.Status !== 'RUNNING') return execution;
      await sleep(100);
    }
    throw new Error(`execution still RUNNING after ${WAIT_MS} ms:\n${this.log()}`);
  }

  async history(arn) {
    const events = [];
    let marker;
    for (let page = 0; page < 100; page++) {
      const answer = await this.lambda.send(
        new sdk.GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, IncludeExecutionData: true, ...(marker ? { Marker: marker } : {}) }),
      );
      events.push(...(answer.Events ?? []));
      marker = answer.NextMarker;
      if (!marker) return events;
    }
    throw new Error('history never ended');
  }
}

function lambdaClient(endpoint) {
  return new sdk.LambdaClient({
    endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 20_000 },
  });
}

/** A checkpoint client that records what went out, per invocation, for assertions. */
class Recorder {
  batches = [];
  constructor(client) {
    this.client = client;
  }
  async checkpoint(arn, token, updates) {
    const result = await this.client.checkpoint(arn, token, updates);
    this.batches.push(updates.map((u) => `${u.Id.slice(0, 6)}:${u.Action}`));
    return result;
  }
  getState(arn, token, marker) {
    return this.client.getState(arn, token, marker);
  }
}

/**
 * A handler: runs `body(invocation, record)` and returns the invocation output the service
 * expects. `seen` collects one record per invocation.
 */
function durableHandler(service, body, seen) {
  return async (event) => {
    const client = new Recorder(new LambdaServiceClient(service.lambda));
    const invocation = await Invocation.fromEvent(client, event);
    const record = { checkpoints: client.batches };
    seen.push(record);
    try {
      const result = await body(invocation, record);
      record.outcome = ['SUCCEEDED', result];
      return { Status: 'SUCCEEDED', Result: JSON.stringify(result) };
    } catch (error) {
      if (error instanceof SuspendExecution) {
        record.outcome = ['PENDING', error.untilMs];
        return { Status: 'PENDING' };
      }
      if (error instanceof StepError) {
        record.outcome = ['FAILED', error.errorType];
        return { Status: 'FAILED', Error: { ErrorType: error.name, ErrorMessage: error.message } };
      }
      record.outcome = ['THREW', error?.name];
      throw error;
    }
  };
}

/** [EventType, Name, attempt, delay, error type] per event, timestamps left out. */
function rows(history) {
  return history.map((event) => {
    const details = Object.entries(event).find(([key]) => key.endsWith('Details'))?.[1] ?? {};
    const retryDetails = details.RetryDetails ?? {};
    return [event.EventType, event.Name, retryDetails.CurrentAttempt, retryDetails.NextAttemptDelaySeconds, details.Error?.Payload?.ErrorType];
  });
}

const ids = (profile, count) => Array.from({ length: count }, (_, n) => step.operationId(profile, null, n + 1).id);
const oneSecond = (profile) => retry.createStrategy(retry.exponential({ maxAttempts: 3, initialDelay: 1, jitter: 'NONE' }), { profile });

describe('runStep against dex-local-runner', { skip, concurrency: true, timeout: 90_000 }, () => {
  const service = new LocalService();
  before(() => service.start());
  after(() => service.close());

  for (const profile of ['python', 'ts', 'unified']) {
    it(`${profile}: the first run's START and SUCCEED are accepted and recorded`, async () => {
      const seen = [];
      const [id] = ids(profile, 1);
      const body = (invocation) => invocation.step({ id, name: 'charge', profile }, async (attempt) => ({ charged: 42, attempt }));
      const arn = await service.startExecution(durableHandler(service, body, seen));
      const execution = await service.wait(arn);
      assert.equal(execution.Status, 'SUCCEEDED', service.log());
      assert.deepEqual(JSON.parse(execution.Result), { charged: 42, attempt: 1 });
      assert.deepEqual(
        seen.map((r) => r.checkpoints),
        [[[`${id.slice(0, 6)}:START`], [`${id.slice(0, 6)}:SUCCEED`]]],
      );
      const history = await service.history(arn);
      const table = rows(history);
      assert.deepEqual([table[0][0], table.at(-1)[0]], ['ExecutionStarted', 'ExecutionSucceeded']);
      assert.deepEqual(table.slice(1, -1), [
        ['StepStarted', 'charge', undefined, undefined, undefined],
        ['StepSucceeded', 'charge', undefined, undefined, undefined],
        ['InvocationCompleted', undefined, undefined, undefined, undefined],
      ]);
      const succeeded = history[2];
      assert.equal(succeeded.Id, id);
      assert.equal(succeeded.SubType, 'Step');
      // the payload went out byte for byte as the profile's SDK writes it
      const payload = succeeded.StepSucceededDetails.Result.Payload;
      assert.equal(payload, '{"charged":42,"attempt":1}');
    });
  }

  it('at-least-once: START is recorded while the function still runs', async () => {
    const seen = [];
    const [id] = ids('ts', 1);
    let arn;
    const slow = async () => {
      // The service records StepStarted before this function returns: START was not held back.
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
        const history = arn ? await service.history(arn) : [];
        if (history.some((event) => event.EventType === 'StepStarted')) return 'saw StepStarted';
      }
      return 'timed out';
    };
    const body = (invocation) => invocation.step({ id, name: 'slow', profile: 'ts' }, slow);
    arn = await service.startExecution(durableHandler(service, body, seen));
    const execution = await service.wait(arn);
    assert.equal(execution.Status, 'SUCCEEDED', service.log());
    assert.equal(JSON.parse(execution.Result), 'saw StepStarted');
  });

  it('a retry suspends; the timer makes the step READY and the next invocation runs attempt 2', async () => {
    const seen = [];
    const attempts = [];
    const [id] = ids('ts', 1);
    const strategy = oneSecond('ts');
    const flaky = (attempt) => {
      attempts.push(attempt);
      if (attempt === 1) throw new Declined('card declined');
      return 'charged';
    };
    const body = (invocation) => invocation.step({ id, name: 'charge', profile: 'ts' }, flaky, { strategy });
    const arn = await service.startExecution(durableHandler(service, body, seen));
    const execution = await service.wait(arn);
    assert.equal(execution.Status, 'SUCCEEDED', service.log());
    assert.deepEqual(attempts, [1, 2]);
    assert.deepEqual(seen.map((r) => r.outcome[0]), ['PENDING', 'SUCCEEDED']);
    const tag = id.slice(0, 6);
    assert.deepEqual(seen.map((r) => r.checkpoints), [[[`${tag}:START`], [`${tag}:RETRY`]], [[`${tag}:START`], [`${tag}:SUCCEED`]]]);
    const table = rows(await service.history(arn));
    assert.deepEqual([table[0][0], table.at(-1)[0]], ['ExecutionStarted', 'ExecutionSucceeded']);
    assert.deepEqual(table.slice(1, -1), [
      ['StepStarted', 'charge', undefined, undefined, undefined],
      ['StepFailed', 'charge', 1, 1, 'Declined'],
      ['InvocationCompleted', undefined, undefined, undefined, undefined],
      ['StepStarted', 'charge', undefined, undefined, undefined],
      ['StepSucceeded', 'charge', undefined, undefined, undefined],
      ['InvocationCompleted', undefined, undefined, undefined, undefined],
    ]);
  });

  it('replay of SUCCEEDED and FAILED steps runs nothing and sends nothing', async () => {
    const seen = [];
    const runs = { a: 0, b: 0, c: 0 };
    const [aId, bId, cId] = ids('ts', 3);
    const noRetry = retry.createStrategy(retry.preset('noRetry'), { profile: 'ts' });
    const strategy = oneSecond('ts');
    const body = async (invocation, record) => {
      record.a = await invocation.step({ id: aId, name: 'reserve', profile: 'ts' }, () => (runs.a++, { id: 7, items: [1, 2] }));
      try {
        await invocation.step({ id: bId, name: 'bill', profile: 'ts' }, () => {
          runs.b++;
          throw new Declined('out of stock');
        }, { strategy: noRetry });
      } catch (error) {
        if (!(error instanceof StepError)) throw error;
        record.b = [error.errorType, error.message, error.name];
      }
      record.c = await invocation.step({ id: cId, name: 'ship', profile: 'ts' }, (attempt) => {
        runs.c++;
        if (attempt === 1) throw new TypeError('slow');
        return 'shipped';
      }, { strategy });
      return [record.a, record.c];
    };
    const arn = await service.startExecution(durableHandler(service, body, seen));
    const execution = await service.wait(arn);
    assert.equal(execution.Status, 'SUCCEEDED', service.log());
    assert.deepEqual(JSON.parse(execution.Result), [{ id: 7, items: [1, 2] }, 'shipped']);
    const [first, second] = seen;
    assert.deepEqual(runs, { a: 1, b: 1, c: 2 });
    assert.deepEqual(first.a, second.a);
    assert.deepEqual(first.b, ['Declined', 'out of stock', 'StepError']);
    assert.deepEqual(second.b, first.b);
    // the second invocation replayed a and b: only c's attempt 2 went out
    assert.deepEqual(second.checkpoints, [[`${cId.slice(0, 6)}:START`], [`${cId.slice(0, 6)}:SUCCEED`]]);
    const table = rows(await service.history(arn));
    assert.deepEqual(
      table.filter((r) => r[1] === 'reserve' || r[1] === 'bill'),
      [
        ['StepStarted', 'reserve', undefined, undefined, undefined],
        ['StepSucceeded', 'reserve', undefined, undefined, undefined],
        ['StepStarted', 'bill', undefined, undefined, undefined],
        // FAIL carries no delay; this service reports NextAttemptDelaySeconds 0 for it
        ['StepFailed', 'bill', 1, 0, 'Declined'],
      ],
    );
    assert.deepEqual(
      table.filter((r) => r[1] === 'ship'),
      [
        ['StepStarted', 'ship', undefined, undefined, undefined],
        ['StepFailed', 'ship', 1, 1, 'TypeError'],
        ['StepStarted', 'ship', undefined, undefined, undefined],
        ['StepSucceeded', 'ship', undefined, undefined, undefined],
      ],
    );
  });

  for (const retries of [false, true]) {
    it(`at-most-once interrupted by a crash is ${retries ? 'retried' : 'failed'} without running again`, async () => {
      const seen = [];
      const runs = [];
      const [id] = ids('ts', 1);
      const strategy = retries ? oneSecond('ts') : retry.createStrategy(retry.preset('noRetry'), { profile: 'ts' });
      const pay = (attempt) => {
        runs.push(attempt);
        if (runs.length === 1) throw new Crash('the process died mid-payment'); // escapes: nothing recorded
        return 'paid';
      };
      const body = (invocation) => invocation.step({ id, name: 'pay', profile: 'ts', semantics: 'AT_MOST_ONCE_PER_RETRY' }, pay, { strategy });
      const arn = await service.startExecution(durableHandler(service, body, seen));
      const execution = await service.wait(arn);
      const tag = id.slice(0, 6);
      const table = rows(await service.history(arn)).filter((r) => r[1] === 'pay');
      if (!retries) {
        assert.equal(execution.Status, 'FAILED', service.log());
        assert.deepEqual(runs, [1], 'never run again');
        assert.deepEqual(seen.map((r) => r.checkpoints), [[[`${tag}:START`]], [[`${tag}:FAIL`]]]);
        assert.deepEqual(seen[1].outcome, ['FAILED', 'StepInterruptedError']);
        assert.equal(execution.Error?.ErrorType, 'StepError');
        assert.deepEqual(table, [
          ['StepStarted', 'pay', undefined, undefined, undefined],
          ['StepFailed', 'pay', 1, 0, 'StepInterruptedError'],
        ]);
      } else {
        assert.equal(execution.Status, 'SUCCEEDED', service.log());
        assert.deepEqual(runs, [1, 2]);
        assert.deepEqual(seen.map((r) => r.checkpoints), [[[`${tag}:START`]], [[`${tag}:RETRY`]], [[`${tag}:START`], [`${tag}:SUCCEED`]]]);
        assert.deepEqual(table, [
          ['StepStarted', 'pay', undefined, undefined, undefined],
          ['StepFailed', 'pay', 1, 1, 'StepInterruptedError'],
          ['StepStarted', 'pay', undefined, undefined, undefined],
          ['StepSucceeded', 'pay', undefined, undefined, undefined],
        ]);
      }
      assert.equal(seen[0].outcome[0], 'THREW');
    });
  }

  it('with sleep, the driver waits in-process and polls the service until the timer fires', async () => {
    const seen = [];
    const attempts = [];
    const [id] = ids('ts', 1);
    const strategy = oneSecond('ts');
    const flaky = (attempt) => {
      attempts.push(attempt);
      if (attempt === 1) throw new Declined('busy');
      return 'done';
    };
    const body = (invocation) => invocation.step({ id, name: 'poll', profile: 'ts' }, flaky, { strategy, sleep, maxWaitMs: 20_000 });
    const arn = await service.startExecution(durableHandler(service, body, seen));
    const execution = await service.wait(arn);
    assert.equal(execution.Status, 'SUCCEEDED', service.log());
    assert.deepEqual(attempts, [1, 2]);
    assert.equal(seen.length, 1, 'one invocation: it waited instead of returning PENDING');
    assert.equal(rows(await service.history(arn)).filter((r) => r[0] === 'StepStarted').length, 2);
  });

  it('the service rejects a stale token and a bad transition, and the core classifies both', async () => {
    const seen = [];
    const [aId, bId] = ids('ts', 2);
    const body = async (invocation, record) => {
      const firstToken = invocation.token.value;
      await invocation.step({ id: aId, name: 'a', profile: 'ts' }, () => 1);
      // a token already consumed: the service answers "Invalid checkpoint token"
      try {
        await runStep(invocation.client, {
          executionArn: invocation.executionArn,
          checkpointToken: new CheckpointToken(firstToken),
          call: { id: bId, name: 'b', profile: 'unified' },
          fn: () => 2,
          operations: new Map(),
        });
      } catch (error) {
        if (!(error instanceof CheckpointFailed)) throw error;
        record.stale = { status: error.cause.$metadata?.httpStatusCode, name: error.cause.name, type: error.cause.Type, message: error.cause.message, rule: error.rule };
      }
      // SUCCEED again on a SUCCEEDED step: the validator refuses the transition
      const again = { Id: aId, Type: 'STEP', Action: 'SUCCEED', SubType: 'Step', Name: 'a', Payload: '1' };
      try {
        await invocation.client.checkpoint(invocation.executionArn, invocation.token.value, [again]);
      } catch (error) {
        record.transition = { message: error.message, rule: classifyError(error, { profile: 'ts' }).rule };
      }
      return 'ok';
    };
    const arn = await service.startExecution(durableHandler(service, body, seen));
    assert.equal((await service.wait(arn)).Status, 'SUCCEEDED', service.log());
    const [record] = seen;
    // This service names the error in a body field ("Type") that the AWS SDK v3 does not read
    // for rest-json errors (the real service sends the x-amzn-ErrorType header), so the parsed
    // name is "Unknown": the stale-token rule, which needs InvalidParameterValueException, does
    // not fire and the core calls it a client error (EXECUTION) -- a runner fidelity gap.
    assert.deepEqual(record.stale, { status: 400, name: 'Unknown', type: 'InvalidParameterValueException', message: 'Invalid checkpoint token', rule: 'client-error' });
    // The same failure as the real service reports it is a stale token (INVOCATION).
    const real = classifyApiError({ status: 400, code: 'InvalidParameterValueException', message: 'Invalid checkpoint token', profile: 'unified' });
    assert.deepEqual([real.rule, real.retryable], ['stale-checkpoint-token', true]);
    assert.match(record.transition.message, /Invalid current STEP state to close/);
    assert.equal(record.transition.rule, 'client-error');
  });
});
