// Benchmark: what one first-run STEP invocation costs on the Node engine (open, one step with a
// 100-byte result, its checkpoint, finish, output) against the same number of no-op crossings
// into the component, and what a 100 KB result adds against JSON.stringify of it. The service
// is in memory (the least a checkpoint service does: the next token), so only durable-core is
// timed. Rounds interleave the subjects; medians and the spread are printed.
//
//   node bench/engine.mjs [--json] [--rounds N]

import { parseArgs } from 'node:util';
import { core } from '../src/component.js';
import { Engine, JSON_SERDES } from '../src/invocation.js';

const { values: args } = parseArgs({
  options: { json: { type: 'boolean', default: false }, rounds: { type: 'string', default: '15' } },
});
const ROUNDS = Number(args.rounds);

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/f/1';
const ENVELOPE = { DurableExecutionArn: ARN, CheckpointToken: 't0' };
let seq = 0;
const memoryService = {
  async checkpoint() {
    seq += 1;
    return { CheckpointToken: `t${seq}`, NewExecutionState: { Operations: [] } };
  },
  async getState() {
    return { Operations: [] };
  },
};
const PASS_THROUGH = { serialize: (v) => v, deserialize: (v) => v };
const SMALL = `"${'x'.repeat(98)}"`;
const BIG_VALUE = { rows: Array.from({ length: 1000 }, () => 'r'.repeat(90)) };
const BIG = JSON.stringify(BIG_VALUE);

async function firstRun(payload) {
  const engine = await Engine.open(ENVELOPE, memoryService, { profile: 'ts', idleFlush: false });
  await engine.step(0, 'charge', () => payload, { serdes: PASS_THROUGH });
  const output = await engine.finishReturn('"done"');
  if (output.Status !== 'SUCCEEDED') throw new Error(`unexpected output ${JSON.stringify(output)}`);
}

// Count the crossings of one invocation by wrapping the component's invocation interface.
const live = core();
const iface = live.root.invocation;
let crossings = 0;
const made = []; // the path of each crossing, in order
const counted = Object.fromEntries(
  ['open', 'call', 'close'].map((name) => [name, (...a) => { crossings += 1; made.push(name); return iface[name](...a); }]),
);
await firstRun(SMALL); // lowers the hot path (it replaces itself on first use)
const original = live.root.invocation;
const originalCall = live.invocationCall; // the hot path (src/abi.js) the engine calls
live.root.invocation = counted;
live.invocationCall = (...a) => { crossings += 1; made.push('hot call'); return originalCall(...a); };
await firstRun(SMALL);
live.root.invocation = original;
live.invocationCall = originalCall;
const CROSSINGS = crossings;

const noOp = () => iface.close(0);
// The same crossings on the same paths with the same argument types, each answered at once by
// the core: handle 0 is never given out, and an empty envelope is rejected before any work.
const answeredAtOnce = made.map((path) => ({
  open: () => iface.open(''),
  call: () => iface.call(0, '', ''),
  close: () => iface.close(0),
  'hot call': () => live.invocationCall(0, '', ''),
})[path]);
const sameSignatureNoOps = () => {
  for (const crossing of answeredAtOnce) crossing();
};

async function timeAsync(fn, calls) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / calls / 1000;
}
function timeSync(fn, calls) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fn();
  return Number(process.hrtime.bigint() - t0) / calls / 1000;
}

const subjects = {
  firstRunUs: () => timeAsync(() => firstRun(SMALL), 2000),
  noOpCrossingUs: async () => timeSync(noOp, 100000),
  sameSignatureNoOpsUs: async () => timeSync(sameSignatureNoOps, 20000),
  bigResultRunUs: () => timeAsync(() => firstRun(BIG), 300),
  smallResultRunUs: () => timeAsync(() => firstRun(SMALL), 300),
  stringify100kUs: async () => timeSync(() => JSON.stringify(BIG_VALUE), 300),
  // The wait before a checkpoint: one event-loop turn, as the JS SDK's queue waits (setImmediate)
  // so that what Promise.all branches queue in the same turn goes out in one call.
  turnUs: () => timeAsync(() => new Promise((resolve) => setImmediate(resolve)), 2000),
};
const samples = Object.fromEntries(Object.keys(subjects).map((k) => [k, []]));
for (let round = -2; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(subjects)) {
    const us = await run();
    if (round >= 0) samples[name].push(us);
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const m = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
const report = {
  crossings: CROSSINGS,
  ...m,
  firstRunOverCrossings: m.firstRunUs / (CROSSINGS * m.noOpCrossingUs),
  firstRunOverSameSignature: m.firstRunUs / m.sameSignatureNoOpsUs,
  firstRunLessTurnOverSameSignature: (m.firstRunUs - m.turnUs) / m.sameSignatureNoOpsUs,
  bigResultAddedOverStringify: (m.bigResultRunUs - m.smallResultRunUs) / m.stringify100kUs,
};
if (args.json) {
  console.log(JSON.stringify(report));
} else {
  const f = (x) => x.toFixed(2);
  console.log('| Node engine | median | target |');
  console.log('|---|---|---|');
  console.log(`| first-run STEP invocation (100-byte result, in-memory service) | ${f(m.firstRunUs)} us | |`);
  console.log(`| against the same ${CROSSINGS} crossings, answered at once (same paths and argument types) | ${f(report.firstRunOverSameSignature)}x (${f(m.sameSignatureNoOpsUs)} us for all of them) | <= 3x |`);
  console.log(`| same, less its one event-loop turn before the checkpoint (the JS SDK's wait too: ${f(m.turnUs)} us alone) | ${f(report.firstRunLessTurnOverSameSignature)}x | |`);
  console.log(`| against as many scalar no-op crossings (u32 in, u32 out) | ${f(report.firstRunOverCrossings)}x (${f(m.noOpCrossingUs)} us each) | |`);
  console.log(`| 100 KB result: added over a 100-byte one / JSON.stringify of it | ${f(m.bigResultRunUs - m.smallResultRunUs)} us / ${f(m.stringify100kUs)} us (${f(report.bigResultAddedOverStringify)}x) | <= 1.5x |`);
}
