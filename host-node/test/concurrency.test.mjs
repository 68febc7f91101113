// Concurrent operations of one invocation (Promise.all): one checkpoint in flight, each token
// used once, every update sent exactly once, nothing reported stored that the service did not
// store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Engine, InvocationFailed, Stopped } from '../src/invocation.js';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/run/exec-1';
const ENVELOPE = { DurableExecutionArn: ARN, CheckpointToken: 't0' };

/** Refuses a spent token or two calls at once, the way the service would fail them. */
function strictService({ dropTokenAt } = {}) {
  const service = {
    token: 't0', calls: 0, inFlight: 0, updates: [], problems: [],
    async checkpoint(arn, token, updates) {
      service.inFlight += 1;
      if (service.inFlight > 1) service.problems.push('two checkpoint calls in flight');
      if (token !== service.token) service.problems.push(`spent token ${token} (current ${service.token})`);
      await sleep(2); // long enough for the other branches to queue behind this call
      service.inFlight -= 1;
      service.calls += 1;
      service.updates.push(...updates);
      if (service.calls === dropTokenAt) return { NewExecutionState: { Operations: [] } };
      service.token = `t${service.calls}`;
      return { CheckpointToken: service.token, NewExecutionState: { Operations: [] } };
    },
    async getState() {
      return { Operations: [] };
    },
  };
  return service;
}

for (const profile of ['python', 'ts', 'unified']) {
  test(`${profile}: eight steps under Promise.all never reuse a token`, async () => {
    const service = strictService();
    const engine = await Engine.open(ENVELOPE, service, { profile, idleFlush: false });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => engine.step(0, `s${i}`, async () => { await sleep(i % 3); return { i }; })),
    );
    const output = await engine.finishReturn('"done"');
    assert.deepEqual(results, Array.from({ length: 8 }, (_, i) => ({ i })));
    assert.deepEqual(service.problems, []);
    assert.deepEqual(output, { Status: 'SUCCEEDED', Result: '"done"' });
    const actions = service.updates.map((u) => `${u.Name} ${u.Action}`).sort();
    assert.deepEqual(actions, Array.from({ length: 8 }, (_, i) => [`s${i} START`, `s${i} SUCCEED`]).flat().sort());
    assert.equal(new Set(service.updates.map((u) => u.Id)).size, 8);
  });
}

test('a token lost under Promise.all fails the invocation and hands no branch its result', async () => {
  const service = strictService({ dropTokenAt: 1 });
  const engine = await Engine.open(ENVELOPE, service, { profile: 'ts', idleFlush: false });
  const settled = await Promise.allSettled(
    Array.from({ length: 4 }, (_, i) => engine.step(0, `s${i}`, async () => i)),
  );
  assert.deepEqual(service.problems, []);
  assert.equal(service.calls, 1);
  for (const s of settled) {
    assert.equal(s.status, 'rejected', 'a branch was handed a result the service never confirmed');
    assert.ok(s.reason instanceof Stopped, String(s.reason));
  }
  await assert.rejects(engine.finishStopped(), (e) => e instanceof InvocationFailed && e.rule === 'checkpoint-without-token');
});


test('close releases the core state once', async () => {
  const { core } = await import('../src/component.js');
  const engine = await Engine.open(ENVELOPE, strictService(), { profile: 'ts', idleFlush: false });
  const iface = core().root.invocation;
  const realClose = iface.close;
  let closes = 0;
  iface.close = (...a) => { closes += 1; return realClose(...a); };
  try {
    engine.close();
    engine.close();
    assert.equal(closes, 1);
    assert.throws(() => engine.replayingIn(0), /no open invocation/);
  } finally {
    iface.close = realClose;
  }
});
