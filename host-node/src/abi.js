// Hand-written canonical-ABI lowerings of the hot paths: `classify-packed`, `decide-packed` and
// the invocation engine's `call` (which carries the user's serialized result, up to 256 KiB).
//
// jco 1.12's glue encodes each string with TextEncoder.encode (a fresh Uint8Array, then a copy
// into linear memory): about 0.35 us per string on Node 20, most of a call. Here each string is
// encoded straight into guest memory with encodeInto, which is 3-4x faster. Both signatures are
// flat (scalars and strings in, one integer out), so the lowerings are small; the tests check
// them against the glue on every input shape, and everything else still goes through the glue.

const CLASSIFY_PACKED = 'durable:core/classify@0.2.0#classify-packed';
const DECIDE_PACKED = 'durable:core/retry@0.2.0#decide-packed';
const INVOCATION_CALL = 'durable:core/invocation@0.2.0#call';
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * UTF-8 lowering of strings into one instance's memory: `lower(s)` returns the pointer of a
 * guest-owned copy and `length()` its byte length, until the next `lower`.
 */
function stringLowering(exports) {
  const { memory, cabi_realloc: realloc } = exports;
  let bytes = new Uint8Array(memory.buffer);
  let len = 0;

  // The callee frees the copy after the call.
  function lower(s) {
    const units = s.length;
    if (units === 0) {
      len = 0;
      return 1; // any aligned pointer: nothing is read
    }
    const capacity = units * 3; // UTF-8 needs at most 3 bytes per UTF-16 code unit
    let at = realloc(0, 0, 1, capacity);
    // Growing memory detaches the old buffer, which empties every view of it.
    if (bytes.length === 0) bytes = new Uint8Array(memory.buffer);
    const { written } = encoder.encodeInto(s, bytes.subarray(at, at + capacity));
    // The guest frees exactly `len` bytes, so the allocation must have exactly that size.
    if (written < capacity) at = realloc(at, capacity, 1, written);
    len = written;
    return at;
  }
  return { lower, length: () => len };
}

function exported(exports, name, flatParams, shape) {
  const fn = exports[name];
  if (typeof fn !== 'function' || fn.length !== flatParams) {
    throw new Error(`the core module's ${name} is not the ${shape} this host lowers`);
  }
  return fn;
}

/** Returns `classifyPacked(options, status, code, message)` bound to one core instance's exports. */
export function lowerClassifyPacked(exports) {
  // Flat lowering: options, status, then (pointer, length) per string.
  const fn = exported(exports, CLASSIFY_PACKED, 6, '(u32, u32, string, string) -> u32');
  const { lower, length } = stringLowering(exports);
  return function classifyPacked(options, status, code, message) {
    const codePtr = lower(code);
    const codeLen = length();
    const messagePtr = lower(message);
    return fn(options, status, codePtr, codeLen, messagePtr, length()) >>> 0;
  };
}

/**
 * Returns `decidePacked(strategy, attemptsMade, random, message, errorTypes)` bound to one core
 * instance's exports. The result is the u64 as the core returned it: a BigInt, which the
 * WebAssembly JS API gives as a signed i64, so a value with the top bit set comes back negative
 * (the caller treats that as a contract breach; the core's largest answer is below 2^56).
 */
export function lowerDecidePacked(exports) {
  // Flat lowering: strategy (i32), attempts-made and random (f64), then (pointer, length) per string.
  const fn = exported(exports, DECIDE_PACKED, 7, '(u32, f64, f64, string, string) -> u64');
  const { lower, length } = stringLowering(exports);
  return function decidePacked(strategy, attemptsMade, random, message, errorTypes) {
    const messagePtr = lower(message);
    const messageLen = length();
    const typesPtr = lower(errorTypes);
    return fn(strategy, attemptsMade, random, messagePtr, messageLen, typesPtr, length());
  };
}

/**
 * Returns `invocationCall(handle, request, payload)` bound to one core instance's exports: the
 * engine's `call(u32, string, string) -> string`. The answer string is read from the guest's
 * return area and released with the function's post-return, as the canonical ABI requires.
 */
export function lowerInvocationCall(exports) {
  // Flat lowering: handle, then (pointer, length) per string; the result is a pointer to
  // (pointer, length) of the answer, valid until the post-return.
  const fn = exported(exports, INVOCATION_CALL, 5, '(u32, string, string) -> string');
  const postReturn = exports[`cabi_post_${INVOCATION_CALL}`];
  if (typeof postReturn !== 'function') throw new Error(`the core module has no post-return for ${INVOCATION_CALL}`);
  const { memory } = exports;
  const { lower, length } = stringLowering(exports);
  return function invocationCall(handle, request, payload) {
    const requestPtr = lower(request);
    const requestLen = length();
    const payloadPtr = lower(payload);
    const area = fn(handle >>> 0, requestPtr, requestLen, payloadPtr, length());
    const view = new DataView(memory.buffer);
    const answer = decoder.decode(new Uint8Array(memory.buffer, view.getUint32(area, true), view.getUint32(area + 4, true)));
    postReturn(area);
    return answer;
  };
}
