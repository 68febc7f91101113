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
