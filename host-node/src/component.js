// Loading the component and keeping one instance per process.
//
// The core module is compiled once; the instance is created on first use and dropped after any
// exception from a component call. jco 1.12's glue would keep calling a trapped instance, but a
// trap can leave the guest's allocator and stack pointer mid-update, so the next call must get a
// fresh instance.

import { coreModuleBytes } from './core-wasm.js';
import { instantiate } from '../gen/durable_core.js';
import { lowerClassifyPacked, lowerDecidePacked, lowerInvocationCall } from './abi.js';
import { DurableCoreError } from './errors.js';

const modules = new Map(); // core module name -> WebAssembly.Module
let moduleOverride; // test-only, see _test
// The live instance: { root: jco's exports, exports: the core instance's raw exports,
// generation, and the hot paths (abi.js): classifyPacked, decidePacked, invocationCall }.
// Undefined until first use and after a trap.
let live;
// Bumped by every instantiation. State kept inside an instance (registered retry strategies)
// belongs to one generation; a holder compares generations to know it must register again.
let generation = 0;

function getCoreModule(name) {
  if (moduleOverride) return moduleOverride;
  let module = modules.get(name);
  if (!module) {
    // From gen/ beside the package; in the bundler build (scripts/bundle.mjs) from inside the JS.
    module = new WebAssembly.Module(coreModuleBytes(name));
    modules.set(name, module);
  }
  return module;
}

/** The live instance, created on first use and again after a trap. */
export function core() {
  return live ?? load();
}

function load() {
  let exports;
  const instantiateCore = (module, imports) => {
    const instance = new WebAssembly.Instance(module, imports);
    exports = instance.exports;
    return instance;
  };
  try {
    // The component imports nothing, so the import object is empty.
    const root = instantiate(getCoreModule, {}, instantiateCore);
    const instance = {
      root,
      exports,
      generation: ++generation,
      classifyPacked: lowerClassifyPacked(exports),
      decidePacked: lowerDecidePacked(exports),
    };
    // Lowered on first use: a classify-only process (or a test's stand-in module) never needs it.
    instance.invocationCall = (...args) => (instance.invocationCall = lowerInvocationCall(exports))(...args);
    live = instance;
  } catch (cause) {
    throw new DurableCoreError(`durable-core could not be loaded: ${cause?.message ?? cause}`, { kind: 'load', cause });
  }
  return live;
}

/** Drops the instance after an exception from component function `fn`; returns the error to throw. */
export function trapped(fn, cause) {
  live = undefined;
  return new DurableCoreError(`durable-core trapped in ${fn}: ${cause?.message ?? cause}`, { kind: 'trap', cause });
}

/** Calls `body(jco's exports)`, turning any exception from it into a trap. For calls off the hot path. */
export function call(fn, body) {
  const { root } = core();
  try {
    return body(root);
  } catch (cause) {
    throw trapped(fn, cause);
  }
}

/**
 * The live instance if it is generation `wanted`, else undefined; never instantiates. For work that
 * only makes sense on one instance (releasing a handle it gave out).
 */
export function liveGeneration(wanted) {
  return live?.generation === wanted ? live : undefined;
}

/**
 * The error record inside jco's ComponentError: what the glue throws for a function's `err`
 * result, after it has run the post-return, so the instance is intact. Undefined for anything
 * else (a trap, a glue TypeError).
 */
export function rejection(cause) {
  // jco 1.12 defines ComponentError inside the generated module without exporting it, so it is
  // recognised by name and by the shape of its payload (the WIT `error` record).
  if (!(cause instanceof Error) || cause.constructor?.name !== 'ComponentError') return undefined;
  const record = cause.payload;
  return typeof record === 'object' && record !== null && typeof record.kind === 'string' && typeof record.field === 'string'
    ? record
    : undefined;
}

/**
 * Like `call`, for component functions that return `result<_, error>`: the core's rejection
 * comes back as `onRejected(record)` (whose return value is thrown); any other exception is a trap.
 */
export function callFallible(fn, body, onRejected) {
  const { root } = core();
  try {
    return body(root);
  } catch (cause) {
    const record = rejection(cause);
    if (record) throw onRejected(record);
    throw trapped(fn, cause);
  }
}

/**
 * Test-only hooks. Not part of the public API: the package's exports map does not expose this
 * module, so only the package's own tests can import it.
 */
export const _test = {
  /** Instantiate `module` instead of the real core module (undefined restores it); drops the instance. */
  useCoreModule(module) {
    moduleOverride = module;
    live = undefined;
  },
  /** The live instance's raw core exports (memory, ...), instantiating it if needed. */
  coreExports: () => core().exports,
  /** The live instance's jco glue, to check the hot path against it. */
  glue: () => core().root,
};
