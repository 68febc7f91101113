// The answer readers (src/answers.js) against JSON.parse: on every answer the core gives while
// the repository's invocation vectors run, and on spellings the shortcut must leave to JSON.parse.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readAnswer, readOpened } from '../src/answers.js';
import { core } from '../src/component.js';
import { runInvocation } from './invocation-script.mjs';

const vectors = (name) => JSON.parse(readFileSync(new URL(`../../tests/vectors/${name}`, import.meta.url), 'utf8')).cases;

/** Runs every invocation vector and returns the texts the core answered to `open` and `call`. */
async function answersOfTheVectors() {
  const opened = [];
  const answered = [];
  for (const { input } of [...vectors('invocation.json'), ...vectors('invocation-unified.json')]) {
    // The engine looks the live instance up on every call, so the wrappers go on the instance of
    // this run (a trap replaces it). The hot call lowers itself on first use: done before wrapping.
    const live = core();
    live.invocationCall(0, '', '');
    const { open } = live.root.invocation;
    const call = live.invocationCall;
    live.root.invocation.open = (text) => {
      const answer = open(text);
      opened.push(answer);
      return answer;
    };
    live.invocationCall = (...args) => {
      const answer = call(...args);
      answered.push(answer);
      return answer;
    };
    try {
      await runInvocation(input);
    } finally {
      live.root.invocation.open = open;
      live.invocationCall = call;
    }
  }
  return { opened, answered };
}

test('every answer of the invocation vectors reads as JSON.parse reads it', async () => {
  const { opened, answered } = await answersOfTheVectors();
  assert.ok(opened.length > 100 && answered.length > 1000, `${opened.length} opens, ${answered.length} calls`);
  for (const text of opened) assert.deepEqual(readOpened(text), JSON.parse(text), text);
  for (const text of answered) assert.deepEqual(readAnswer(text), JSON.parse(text), text);
});

test('the first run of a step reads each answer without JSON.parse, a checkpoint but for its updates', () => {
  const texts = [
    '{"kind":"execute","op":0,"attempt":1,"sync":null,"replaying":false}',
    '{"kind":"execute","op":12,"attempt":3,"sync":7,"replaying":true}',
    '{"kind":"done","sync":2,"held":2}',
    '{"kind":"done","sync":null,"held":null}',
    '{"persisted":2,"stopped":false}',
    '{"sync":null,"held":null}',
    '{"sync":4,"held":3}',
    '{"output":{"Status":"SUCCEEDED","Result":null},"result_held":true}',
    '{"io":null,"persisted":2}',
  ];
  const { parse } = JSON;
  JSON.parse = () => assert.fail('JSON.parse called');
  let read;
  try {
    read = texts.map(readAnswer);
  } finally {
    JSON.parse = parse;
  }
  read.forEach((answer, i) => assert.deepEqual(answer, JSON.parse(texts[i])));
  // A checkpoint request: JSON.parse reads only its updates.
  const checkpoint = (updates, held) => `{"io":"checkpoint","arn":"arn:x","token":"t1","updates":${updates},"held":${held},"persisted":3}`;
  for (const [updates, held] of [['[]', '[]'], ['[{"Id":"a","Payload":null}]', '[[0,4]]'], ['[{"P":"],\\"held\\":["},{"Q":null},{}]', '[[0,4],[1,5],[2,12]]']]) {
    const text = checkpoint(updates, held);
    const parsed = [];
    JSON.parse = (t) => {
      parsed.push(t);
      return parse(t);
    };
    try {
      assert.deepEqual(readAnswer(text), parse(text), text);
    } finally {
      JSON.parse = parse;
    }
    assert.deepEqual(parsed, [updates]);
  }
  // The output is the caller's to change: never one object twice.
  const output = '{"output":{"Status":"SUCCEEDED","Result":null},"result_held":true}';
  assert.notEqual(readAnswer(output).output, readAnswer(output).output);
});

test('what the shortcut does not read exactly goes to JSON.parse', () => {
  for (const text of [
    '{"kind":"execute","op":01,"attempt":1,"sync":null,"replaying":false}', // JSON has no leading zeros
    '{"kind":"execute","op":0,"attempt":1,"sync":null,"replaying":false} ',
    '{"kind":"done","sync":2,"held":2,"extra":1}',
    '{"kind":"replay","payload":"1","replaying":false}',
    '{"persisted":-1,"stopped":false}',
    '{"sync":1.5,"held":null}',
    '{"output":{"Status":"SUCCEEDED"},"result_held":false}',
    '{"error":{"kind":"invalid","field":"op","value":"7","message":"no such operation"}}',
    '{"io":"checkpoint","arn":"a\\u0041","token":"t","updates":[],"held":[],"persisted":0}',
    '{"io":"checkpoint","arn":"a","token":"t","updates":[],"held":[[1,2],],"persisted":0}',
    '{"io":"checkpoint","arn":"a","token":"t","updates":[],"held":[[1,2]],"persisted":0} ',
    '{"io":"checkpoint","arn":"a","token":"t","updates":[}],"held":[],"persisted":0}',
    '{"io":"checkpoint","arn":"a","token":"t","updates":[],"held":[[1,2][3,4]],"persisted":0}',
    '{"io":"checkpoint","arn":"a","token":"t","updates":[1],"held":[],"persisted":0,"held":[]}',
    // A repeated key (JSON.parse keeps the last): the slice before the last held list is not
    // the updates alone. Found by a differential fuzz against JSON.parse.
    '{"io":"checkpoint","arn":"a","token":"t","updates":[{"Id":"a"}],"held":[[0,1]],"held":[],"persisted":0}',
    '{"io":"checkpoint","arn":"a","token":"t","updates":[1],"updates":[2],"held":[],"persisted":0}',
  ]) {
    let expected;
    try {
      expected = { answer: JSON.parse(text) };
    } catch (error) {
      expected = { error: error.constructor };
    }
    if (expected.error) assert.throws(() => readAnswer(text), expected.error, text);
    else assert.deepEqual(readAnswer(text), expected.answer, text);
  }
  // An input with escapes, and one that is not JSON at all.
  const escaped = '{"handle":1,"info":{"input":"{\\"a\\":1}","replaying":false,"loading":false,"stopped":false}}';
  assert.deepEqual(readOpened(escaped), JSON.parse(escaped));
  assert.equal(readOpened(escaped).info.input, '{"a":1}');
  assert.throws(() => readOpened('{"handle":01,"info":{}}'), SyntaxError);
});

test('mutated answers read as JSON.parse reads them, or are rejected as it rejects them', () => {
  // A differential fuzz with a fixed seed: each case is a real answer spelling with one to three
  // random insertions, deletions or replacements of JSON-significant tokens.
  const seeds = [
    '{"kind":"execute","op":0,"attempt":1,"sync":null,"replaying":false}',
    '{"kind":"done","sync":3,"held":null}',
    '{"persisted":2,"stopped":false}',
    '{"sync":null,"held":4}',
    '{"io":null,"persisted":0}',
    '{"io":"checkpoint","arn":"arn:x","token":"t0","updates":[{"Id":"a","Payload":null}],"held":[[0,1]],"persisted":0}',
    '{"io":"checkpoint","arn":"a","token":"t","updates":[],"held":[],"persisted":7}',
    '{"output":{"Status":"SUCCEEDED","Result":null},"result_held":true}',
  ];
  const tokens = ['"', '\\', ',', ':', '[', ']', '{', '}', '0', '1', '9', '-', 'e', '.', ' ', '\u0001', 'é', '],"held":[', 'null', 'true'];
  let state = 0x2545f491;
  const random = (n) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  let valid = 0;
  for (let i = 0; i < 30_000; i++) {
    let text = seeds[random(seeds.length)];
    for (let edits = 1 + random(3); edits > 0; edits--) {
      const at = random(text.length + 1);
      const token = tokens[random(tokens.length)];
      const how = random(3);
      if (how === 0) text = text.slice(0, at) + token + text.slice(at);
      else if (how === 1) text = text.slice(0, at) + text.slice(at + 1 + random(3));
      else text = text.slice(0, at) + token + text.slice(at + 1);
    }
    let expected;
    try {
      expected = JSON.parse(text);
    } catch {
      assert.throws(() => readAnswer(text), SyntaxError, text);
      continue;
    }
    valid += 1;
    assert.deepEqual(readAnswer(text), expected, text);
  }
  assert.ok(valid > 3_000, `only ${valid} mutated answers were JSON`);
});
