// dex-local-runner (the Python testing SDK's local service) on loopback, with a Lambda-compatible
// Invoke endpoint in this process, for end-to-end tests. Dummy credentials; the server is always
// stopped; every wait is bounded. A handler that throws an error with `isCrash` is reported as the
// process dying (Runtime.ExitError).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';

const LOOPBACK = '127.0.0.1';
export const RUNNER = fileURLToPath(new URL('../../.venv/bin/dex-local-runner', import.meta.url));
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

export let sdk; // @aws-sdk/client-lambda, a dependency of the JS testing SDK (not of durable-core)
try {
  sdk = await import('@aws-sdk/client-lambda');
} catch {
  sdk = undefined;
}
export const skip = !existsSync(RUNNER) ? `no ${RUNNER} (tests/requirements.txt)` : !sdk ? 'no @aws-sdk/client-lambda' : false;

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
        output = { errorMessage: String(error?.message ?? error), errorType: error?.isCrash ? 'Runtime.ExitError' : 'Error' };
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
export class LocalService {
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

export function lambdaClient(endpoint) {
  return new sdk.LambdaClient({
    endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 20_000 },
  });
}
