// A hand-written canonical-ABI lowering of `classify-packed`, the hot path.
//
// jco 1.12's glue encodes each string with TextEncoder.encode (a fresh Uint8Array, then a copy
// into linear memory): about 0.35 us per string on Node 20, most of a classify call. Here each
// string is encoded straight into guest memory with encodeInto, which is 3-4x faster. The
// signature is flat (u32, u32, string, string) -> u32, so the lowering is small; the tests check
// it against the glue on every input shape, and everything else still goes through the glue.

const EXPORT = 'durable:core/classify@0.1.0#classify-packed';
const encoder = new TextEncoder();

/** Returns `classifyPacked(options, status, code, message)` bound to one core instance's exports. */
export function lowerClassifyPacked(exports) {
  const fn = exports[EXPORT];
  // Flat lowering: options, status, then (pointer, length) per string.
  if (typeof fn !== 'function' || fn.length !== 6) {
    throw new Error(`the core module's ${EXPORT} is not the (u32, u32, string, string) -> u32 this host lowers`);
  }
  const { memory, cabi_realloc: realloc } = exports;
  let bytes = new Uint8Array(memory.buffer);
  let ptr = 0;
  let len = 0;

  // Sets ptr/len to a guest-owned UTF-8 copy of `s` (the guest frees it after the call).
  function lower(s) {
    const units = s.length;
    if (units === 0) {
      ptr = 1; // any aligned pointer: nothing is read
      len = 0;
      return;
    }
    const capacity = units * 3; // UTF-8 needs at most 3 bytes per UTF-16 code unit
    let at = realloc(0, 0, 1, capacity);
    // Growing memory detaches the old buffer, which empties every view of it.
    if (bytes.length === 0) bytes = new Uint8Array(memory.buffer);
    const { written } = encoder.encodeInto(s, bytes.subarray(at, at + capacity));
    // The guest frees exactly `len` bytes, so the allocation must have exactly that size.
    if (written < capacity) at = realloc(at, capacity, 1, written);
    ptr = at;
    len = written;
  }

  return function classifyPacked(options, status, code, message) {
    lower(code);
    const codePtr = ptr;
    const codeLen = len;
    lower(message);
    return fn(options, status, codePtr, codeLen, ptr, len) >>> 0;
  };
}
