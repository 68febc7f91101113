// The hand-written lowering of classify-packed (src/abi.js) against jco's glue, and its
// allocation contract with the guest.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { _test, core } from '../src/component.js';

const CODES = ['', 'InvalidParameterValueException', 'KMSAccessDeniedException', 'ValidationException', 'é', '\ud800', 'Invalid\u0000Parameter'];
const MESSAGES = [
  '',
  'Invalid checkpoint token: x',
  'Invalid Checkpoint Token: x',
  'INVALID CHECKPOINT TOKEN',
  'Invalid checkpoint tokén',
  'Invalid checkpoint toke',
  'é',
  '😀 Invalid checkpoint token',
  '\udc00 lone surrogate',
  `Invalid checkpoint token: ${'ü'.repeat(400_000)}`, // 1.2 MB of capacity: grows guest memory mid-call
];
const STATUSES = [0, 200, 399, 400, 404, 429, 499, 500, 502, 599, 600, 65535, 65536];
// Every options word of the first five bits (api bit, profile 0..2, presence bits), plus others.
const OPTIONS = [];
for (let word = 0; word < 32; word++) if ((word >> 1 & 3) !== 3) OPTIONS.push(word);
OPTIONS.push(3 << 1, 1 << 6, 1 << 16, 0xffffffff);
// The transport bits (stated scope, wrapped) and release ids, valid and not, with both presence bits.
for (const extra of [1 << 5, (1 << 5) | (1 << 6), 1 << 7, 1 << 8, 2 << 8, 3 << 8, 4 << 8, (1 << 8) | (1 << 1)]) {
  OPTIONS.push(extra, extra | 0b11000 | 1);
}

test('the hot path answers exactly what the glue answers', () => {
  const { classifyPacked } = core();
  const glue = _test.glue().classify;
  let compared = 0;
  for (const options of OPTIONS) {
    for (const status of STATUSES) {
      for (const code of CODES) {
        for (const message of MESSAGES) {
          const expected = glue.classifyPacked(options, status, code, message);
          assert.equal(classifyPacked(options, status, code, message), expected, JSON.stringify({ options, status, code, message: message.slice(0, 40) }));
          compared++;
        }
      }
    }
  }
  assert.ok(compared > 20_000);
});

test('the guest frees every string the hot path allocates', () => {
  const { classifyPacked } = core();
  const { memory } = _test.coreExports();
  const message = `Invalid checkpoint token: ${'é'.repeat(1000)}`; // capacity 3x the units, shrunk to fit
  for (let i = 0; i < 1000; i++) classifyPacked(0b11000, 400, 'InvalidParameterValueException', message);
  const size = memory.buffer.byteLength;
  for (let i = 0; i < 200_000; i++) classifyPacked(0b11000, 400, 'InvalidParameterValueException', message);
  assert.equal(memory.buffer.byteLength, size, '400 MB allocated in total, so a leak would have grown memory');
});

test("the engine's call answers exactly what the glue answers, and frees what it allocates", () => {
  const live = core();
  const glue = _test.glue().invocation;
  const envelope = {
    DurableExecutionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/f/1',
    CheckpointToken: 't0',
    InitialExecutionState: { Operations: [{ Id: 'e', Type: 'EXECUTION', Status: 'STARTED', ExecutionDetails: { InputPayload: '{"é":1}' } }] },
  };
  const { handle } = JSON.parse(glue.open(JSON.stringify({ profile: 'ts', envelope })));
  assert.equal(typeof handle, 'number');
  assert.match(live.invocationCall(handle, '{"call":"input"}', ''), /é/, 'the hot path reads a real answer');
  const requests = [
    '{"call":"input"}',
    '{"call":"persisted"}',
    '{"call":"replaying","context":0}',
    '{"call":"no-such-call"}',
    '{"call":"step-done","op":99,"outcome":{"success":{}},"payload":true,"now_ms":1}',
    'not json',
    '',
    '{"call":"input","x":"\ud800"}',
  ];
  const payloads = ['', '"x"', '"é😀"', '\udc00', `"${'ü'.repeat(200_000)}"`];
  try {
    for (const request of requests) {
      for (const payload of payloads) {
        assert.equal(live.invocationCall(handle, request, payload), glue.call(handle, request, payload), JSON.stringify({ request, payload: payload.slice(0, 20) }));
      }
    }
    // A handle the core never gave out is answered, not trapped on.
    assert.equal(live.invocationCall(0xffffffff, '{"call":"input"}', ''), glue.call(0xffffffff, '{"call":"input"}', ''));
    const { memory } = _test.coreExports();
    const big = `"${'ü'.repeat(100_000)}"`;
    for (let i = 0; i < 200; i++) live.invocationCall(handle, '{"call":"input"}', big);
    const size = memory.buffer.byteLength;
    for (let i = 0; i < 5_000; i++) live.invocationCall(handle, '{"call":"input"}', big);
    assert.equal(memory.buffer.byteLength, size, '1.5 GB of capacity lowered in total, so a leak would have grown memory');
  } finally {
    glue.close(handle);
  }
});
