// The vector files' {{repeat:N:UNIT}} markers (tests/README.md): the vector runner expands them,
// the evidence capture expands its inputs and abbreviates what it writes.

// Vector strings may abbreviate a long run of one short unit as {{repeat:N:UNIT}} (UNIT 1 to 8
// characters, repeated N times), so multi-megabyte payloads stay small in the file.
const REPEAT = /\{\{repeat:(\d+):([^]{1,8}?)\}\}/g;

/** `value` with every {{repeat:N:UNIT}} (a run of N copies of UNIT) written out. */
export function expand(value) {
  if (typeof value === "string") return value.replace(REPEAT, (_, n, unit) => unit.repeat(Number(n)));
  if (Array.isArray(value)) return value.map(expand);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v)]));
  }
  return value;
}

/** `value` with every run of 1024+ repeats of a 1-8 character unit written as one marker. */
export function abbreviate(value) {
  if (typeof value === "string") {
    if (value.length < 1024) return value;
    // Left to right: at each position, the shortest unit (1 to 8 characters) that repeats 1024+
    // times from there is written as one marker.
    let out = "";
    let literal = 0;
    let i = 0;
    while (i < value.length) {
      let found = null;
      for (let len = 1; len <= 8 && i + len <= value.length; len += 1) {
        let j = i + len;
        while (j < value.length && value[j] === value[j - len]) j += 1;
        const times = Math.floor((j - i) / len);
        if (times >= 1024) {
          found = [len, times];
          break;
        }
      }
      if (found === null) {
        i += 1;
        continue;
      }
      const [len, times] = found;
      out += `${value.slice(literal, i)}{{repeat:${times}:${value.slice(i, i + len)}}}`;
      i += len * times;
      literal = i;
    }
    return out + value.slice(literal);
  }
  if (Array.isArray(value)) return value.map(abbreviate);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, abbreviate(v)]));
  }
  return value;
}
