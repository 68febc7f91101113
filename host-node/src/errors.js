// The package's errors. Bad input is a plain TypeError or RangeError (the JS idiom) carrying
// `field`, `value` and `kind`; a failure inside the component is a DurableCoreError.

export class DurableCoreError extends Error {
  constructor(message, { kind, cause }) {
    super(message, { cause });
    this.name = 'DurableCoreError';
    this.kind = kind;
  }
}

/** A value of the wrong type: `<field>: expected <expected>, got <type> <value>`. */
export function wrongType(field, value, expected) {
  return tag(new TypeError(`${field}: expected ${expected}, got ${describe(value)}`), field, value, 'wrong-type');
}

/** A value of the right type that is not allowed; kind is a WIT error-kind. */
export function badValue(field, value, expected, kind = 'invalid-value') {
  return tag(new RangeError(`${field}: expected ${expected}, got ${render(value)}`), field, value, kind);
}

function tag(error, field, value, kind) {
  error.field = field;
  error.value = value;
  error.kind = kind;
  return error;
}

function describe(value) {
  const type = typeof value;
  return type === 'object' || type === 'function' || type === 'undefined' ? render(value) : `${type} ${render(value)}`;
}

// Short enough for a log line, unambiguous about strings.
function render(value) {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return `function ${value.name || '(anonymous)'}`;
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? 'an array' : 'an object';
    default:
      return String(value);
  }
}

/**
 * The core's error record (WIT `types.error`) as the JS idiom: a RangeError (a TypeError for kind
 * `missing`) whose `field` is the name the caller used, `coreField` the core's name for it,
 * `value` the core's rendering of the value and `kind` the WIT error-kind.
 */
export function fromCore(record, field) {
  const ErrorClass = record.kind === 'missing' ? TypeError : RangeError;
  const error = new ErrorClass(`${field}: ${record.message} (got ${record.value})`);
  tag(error, field, record.value, record.kind);
  error.coreField = record.field;
  return error;
}

/** Adds the core's name for the field to a host-side TypeError/RangeError. */
export function withCoreField(error, coreField) {
  if (coreField !== undefined) error.coreField = coreField;
  return error;
}
