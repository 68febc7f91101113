// The shipped artifact: the core module the Node host loads is the one inside the component both
// hosts embed, and the component imports nothing (the sans-IO guarantee).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { instantiate } from '../gen/durable_core.js';

const component = readFileSync(new URL('../../build/durable_core.wasm', import.meta.url));
const coreBytes = readFileSync(new URL('../gen/durable_core.core.wasm', import.meta.url));

// Top-level sections of a component binary (component-model Binary.md).
const CORE_MODULE = 1;
const IMPORT = 10;

function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

function sections(bytes) {
  // magic, version 0x0d, layer 1 (a component, not a core module)
  assert.deepEqual([...bytes.subarray(0, 8)], [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00], 'a component binary');
  const out = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, start] = leb(bytes, at + 1);
    out.push({ id, payload: bytes.subarray(start, start + size) });
    at = start + size;
  }
  assert.equal(at, bytes.length, 'sections end at the end of the file');
  return out;
}

test('the component has exactly one core module, byte-identical to gen/durable_core.core.wasm', () => {
  const modules = sections(component).filter((s) => s.id === CORE_MODULE);
  assert.equal(modules.length, 1);
  assert.ok(Buffer.from(modules[0].payload).equals(coreBytes), 'gen/ is stale: run scripts/build-component');
});

test('the component has no top-level imports', () => {
  for (const { id, payload } of sections(component)) {
    if (id === IMPORT) assert.equal(leb(payload, 0)[0], 0, 'an import section with imports');
  }
});

test('the core module imports nothing', () => {
  assert.deepEqual(WebAssembly.Module.imports(new WebAssembly.Module(coreBytes)), []);
});

test('the transpiled component instantiates with an empty import object', () => {
  const root = instantiate(() => new WebAssembly.Module(coreBytes), {});
  assert.equal(typeof root.info.describe().crateVersion, 'string');
  assert.equal(root.classify.rules().length > 0, true);
});

test('loads on Node versions without process.getBuiltinModule (before 20.16)', () => {
  const index = new URL('../src/index.js', import.meta.url).href;
  const script = `delete process.getBuiltinModule;
    const { classifyApiError } = await import(${JSON.stringify(index)});
    process.stdout.write(classifyApiError({ status: 503 }).rule);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out, 'server-error');
});
