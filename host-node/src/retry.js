// Step retry strategies: "should this failed attempt be retried, and after how many seconds?"
//
// Defaults, presets, validation, error filters and the delay arithmetic live in the core. This
// module translates JS values (Durations, RegExps, error classes, thrown values) into the core's
// WIT types, keeps one registered copy of each strategy in the component, and turns the core's
// error records into RangeErrors.

import { callFallible, core, liveGeneration, rejection, trapped } from './component.js';
import { DurableCoreError, badValue, fromCore, withCoreField, wrongType } from './errors.js';
import { profileFamily } from './profiles.js';

const OUTCOMES = ['retry', 'attempts-exhausted', 'not-retryable'];
const REJECTED = 3; // decide-packed's "input rejected" outcome
// WIT enums the glue needs valid before it lowers a config (it throws otherwise).
const BACKOFFS = ['exponential', 'linear'];
const SYNTAXES = ['substring', 'python-regex', 'js-regex'];

// The options exponential() and linear() take. Both take all of them: a setting that does not
// belong to the backoff (increment for exponential, backoffRate for linear) reaches the core,
// which rejects it.
const OPTIONS = ['maxAttempts', 'initialDelay', 'maxDelay', 'backoffRate', 'increment', 'jitter', 'retryableErrors', 'retryableErrorTypes'];
// The core's field names (WIT) -> the names this module's callers use.
const JS_NAMES = {
  'max-attempts': 'maxAttempts',
  'initial-delay-seconds': 'initialDelay',
  'max-delay-seconds': 'maxDelay',
  'backoff-rate': 'backoffRate',
  'increment-seconds': 'increment',
  jitter: 'jitter',
  'retryable-errors': 'retryableErrors',
  'retryable-error-types': 'retryableErrorTypes',
  'attempts-made': 'attemptsMade',
  random: 'random',
  preset: 'name',
  'interval-seconds': 'interval',
  profile: 'profile',
};
const CORE_NAMES = Object.fromEntries(Object.entries(JS_NAMES).map(([coreName, js]) => [js, coreName]));
const DURATION = 'a Duration {days?, hours?, minutes?, seconds?} or a number of seconds';
const UNITS = ['days', 'hours', 'minutes', 'seconds'];

// Configs made by this module: deep-frozen WIT `strategy-config` records, or preset references.
const configs = new WeakSet();

// ---- errors

/** `kebab-case` -> `camelCase`: jco's names for WIT fields. */
const camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

/** The core's rejection, named as the caller of this module's JS API named the field. */
const jsRejection = (record) => fromCore(record, JS_NAMES[record.field] ?? camel(record.field));
/** The core's rejection, named with jco's spelling of the WIT field (for fromCoreConfig callers). */
const witRejection = (record) => fromCore(record, camel(record.field));

function typeError(field, value, expected, coreField = CORE_NAMES[field]) {
  return withCoreField(wrongType(field, value, expected), coreField);
}

/** A key the API does not know: a typo would otherwise silently leave a default in place. */
function unknownKey(key, value, what, known) {
  const error = new TypeError(`${key}: not ${what} (expected one of ${known.join(', ')})`);
  return Object.assign(error, { field: key, value, kind: 'wrong-type' });
}

// ---- translating JS values to WIT values

function options(field, value) {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError(field, value, 'an object');
  return value;
}

/** A number, or undefined for undefined/null (unset: the core applies its default). */
function number(field, value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw typeError(field, value, 'a number');
  return value; // NaN, negatives and fractions too: the core decides
}

/**
 * A JS SDK Duration or a number of seconds, as seconds. Summed as the SDK's durationToSeconds
 * does, in its order of operations (days * 24 * 60 * 60 + hours * 60 * 60 + minutes * 60 +
 * seconds), so fractional units give the same double; a missing, undefined or null unit is 0.
 */
function seconds(field, value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value !== 'object' || Array.isArray(value)) throw typeError(field, value, DURATION);
  for (const key of Object.keys(value)) {
    if (!UNITS.includes(key)) throw typeError(field, value, `${DURATION}, with no other key than those (found "${key}")`);
  }
  const units = UNITS.map((name) => {
    const v = value[name];
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number') {
      // Named by the option (`field`), with the unit in the message.
      throw Object.assign(typeError(`${field}.${name}`, v, 'a number', CORE_NAMES[field]), { field });
    }
    return v;
  });
  const [days, hours, minutes, secs] = units;
  return days * 24 * 60 * 60 + hours * 60 * 60 + minutes * 60 + secs;
}

function text(field, value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw typeError(field, value, 'a string');
  return value;
}

function isRegExp(value) {
  return value instanceof RegExp || Object.prototype.toString.call(value) === '[object RegExp]';
}

/** Strings are substrings (message.includes), RegExps are run by the core (RegExp.test). */
function patterns(value) {
  if (value === undefined || value === null) return undefined;
  const field = 'retryableErrors';
  if (!Array.isArray(value)) throw typeError(field, value, 'an array of strings and RegExps');
  // Array.from visits holes (as undefined), so a sparse array is rejected rather than lowered.
  return Array.from(value, (item) => {
    if (typeof item === 'string') return { syntax: 'substring', source: item, flags: '' };
    if (isRegExp(item)) {
      const { source, flags } = item;
      if (typeof source !== 'string' || typeof flags !== 'string') throw typeError(field, item, 'a RegExp with a string source and flags');
      return { syntax: 'js-regex', source, flags };
    }
    throw typeError(field, item, 'an array of strings and RegExps');
  });
}

/** Error classes, by name (the core matches them against the error's class chain). */
function typeNames(value) {
  if (value === undefined || value === null) return undefined;
  const field = 'retryableErrorTypes';
  if (!Array.isArray(value)) throw typeError(field, value, 'an array of error classes');
  return Array.from(value, (item) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'function' && typeof item.name === 'string') return item.name;
    throw typeError(field, item, 'an array of error classes (or class names)');
  });
}

function profileOf(value) {
  if (typeof value !== 'string') throw typeError('profile', value, '"unified", "python", "ts" or a release profile such as "ts@2.4.0"');
  try {
    return profileFamily(value);
  } catch (error) {
    throw withCoreField(error, 'profile');
  }
}

/** Drops unset fields, freezes (the lists and patterns too) and brands as this module's. */
function seal(config) {
  for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
  // The lists are this module's own copies, so they can be frozen in place.
  if (config.retryableErrors) {
    for (const pattern of config.retryableErrors) Object.freeze(pattern);
    Object.freeze(config.retryableErrors);
  }
  if (config.retryableErrorTypes) Object.freeze(config.retryableErrorTypes);
  configs.add(Object.freeze(config));
  return config;
}

/**
 * Checks a WIT config with the core now, so a bad setting fails where it was written. Validation
 * does not depend on the profile today; createStrategy validates again under its own profile.
 */
function validated(config, onRejected) {
  callFallible('resolve', (root) => root.retry.resolve(config, 'unified'), onRejected);
  return config;
}

// ---- configurations

function build(backoff, given) {
  const o = options('options', given);
  for (const key of Object.keys(o)) {
    if (!OPTIONS.includes(key)) throw unknownKey(key, o[key], `an option of retry.${backoff}()`, OPTIONS);
  }
  const config = {
    backoff,
    maxAttempts: number('maxAttempts', o.maxAttempts),
    initialDelaySeconds: seconds('initialDelay', o.initialDelay),
    maxDelaySeconds: seconds('maxDelay', o.maxDelay),
    backoffRate: number('backoffRate', o.backoffRate),
    incrementSeconds: seconds('increment', o.increment),
    jitter: text('jitter', o.jitter),
    retryableErrors: patterns(o.retryableErrors),
    retryableErrorTypes: typeNames(o.retryableErrorTypes),
  };
  return seal(validated(config, jsRejection));
}

/** base = initialDelay * backoffRate^(attemptsMade - 1), capped at maxDelay, then jitter. */
export function exponential(options) {
  return build('exponential', options);
}

/** base = initialDelay + increment * (attemptsMade - 1), capped at maxDelay, then jitter. */
export function linear(options) {
  return build('linear', options);
}

/**
 * A preset by name: `default`, `noRetry` (or `no-retry`), `linear`, and the Python SDK's
 * `transient`, `resourceAvailability`, `critical`, `fixed` (which the core allows under the
 * python and unified profiles). Resolved by the core under the strategy's profile.
 */
export function preset(name, presetOptions) {
  if (typeof name !== 'string') throw typeError('name', name, 'a preset name (a string)', 'preset');
  const { interval } = options('options', presetOptions);
  // camelCase JS names -> the core's kebab-case names; kebab-case names pass through.
  const coreName = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const intervalSeconds = seconds('interval', interval);
  // Unified has every preset, so this rejects only what no profile accepts (and a bad interval,
  // which the core reports on the delays the fixed preset sets from it).
  const wit = callFallible('preset', (root) => root.retry.preset(coreName, 'unified', intervalSeconds), jsRejection);
  validated(wit, jsRejection);
  return seal({ preset: coreName, intervalSeconds });
}

/**
 * A configuration in the core's own terms (the WIT `strategy-config` record as jco spells it:
 * `backoff`, `maxAttempts`, `initialDelaySeconds`, `retryableErrors: [{syntax, source, flags}]`,
 * ...). For tools that speak the core's language, such as the conformance vectors.
 */
export function fromCoreConfig(record) {
  const c = options('config', record);
  const fields = ['backoff', 'maxAttempts', 'initialDelaySeconds', 'maxDelaySeconds', 'backoffRate', 'incrementSeconds', 'jitter', 'retryableErrors', 'retryableErrorTypes'];
  const wit = (field, value, expected) => withCoreField(wrongType(field, value, expected), field.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`));
  for (const key of Object.keys(c)) {
    if (!fields.includes(key)) throw unknownKey(key, c[key], 'a field of the WIT strategy-config', fields);
  }
  const backoff = c.backoff ?? 'exponential';
  if (typeof backoff !== 'string') throw wit('backoff', backoff, '"exponential" or "linear"');
  if (!BACKOFFS.includes(backoff)) throw withCoreField(badValue('backoff', backoff, '"exponential" or "linear"'), 'backoff');
  const num = (field) => {
    const v = c[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number') throw wit(field, v, 'a number');
    return v;
  };
  const list = (field, item) => {
    const v = c[field];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw wit(field, v, 'an array');
    return Array.from(v, item);
  };
  if (c.jitter != null && typeof c.jitter !== 'string') throw wit('jitter', c.jitter, 'a string');
  const config = {
    backoff,
    maxAttempts: num('maxAttempts'),
    initialDelaySeconds: num('initialDelaySeconds'),
    maxDelaySeconds: num('maxDelaySeconds'),
    backoffRate: num('backoffRate'),
    incrementSeconds: num('incrementSeconds'),
    jitter: c.jitter ?? undefined,
    retryableErrors: list('retryableErrors', (p) => {
      const shape = 'a message-pattern {syntax, source, flags}';
      if (typeof p !== 'object' || p === null) throw wit('retryableErrors', p, shape);
      const { syntax, source, flags = '' } = p;
      if (typeof syntax !== 'string' || typeof source !== 'string' || typeof flags !== 'string') throw wit('retryableErrors', p, shape);
      if (!SYNTAXES.includes(syntax)) {
        throw withCoreField(badValue('retryableErrors', syntax, `a syntax of ${SYNTAXES.join(', ')}`), 'retryable-errors');
      }
      return { syntax, source, flags };
    }),
    retryableErrorTypes: list('retryableErrorTypes', (t) => {
      if (typeof t !== 'string') throw wit('retryableErrorTypes', t, 'class names (strings)');
      return t;
    }),
  };
  return seal(validated(config, witRejection));
}

// ---- strategies

/** Releases a collected strategy's handle, if the instance that issued it is still live. */
const collected = new FinalizationRegistry((slot) => {
  const live = liveGeneration(slot.generation);
  if (!live) return;
  try {
    live.root.retry.release(slot.handle);
  } catch (cause) {
    trapped('release', cause); // drops the instance; nobody is waiting for this call
  }
});

const CONSTRUCTING = Symbol('Strategy');

class Strategy {
  #config; // the WIT strategy-config (a preset already resolved under the profile)
  // Shared with the FinalizationRegistry. Generation 0 (no instance has it) = not registered:
  // a strategy is registered in the core on first use, not when created, so strategies made
  // in one synchronous loop hold no guest memory until they decide (a FinalizationRegistry
  // only runs after the event loop turns); release() frees it at once.
  #slot = { handle: 0, generation: 0 };
  #draws; // whether a retry uses `random` (FULL or HALF jitter)

  constructor(token, config, profile, effective, source) {
    if (token !== CONSTRUCTING) throw new TypeError('use retry.createStrategy(config, {profile})');
    this.#config = config;
    /** The rule set: 'unified', 'python' or 'ts'. */
    this.profile = profile;
    /** The configuration it was created from (frozen). */
    this.config = source;
    /** The configuration with every default filled in, as the core resolved it (frozen). */
    this.effective = effective;
    this.#draws = effective.jitter !== 'NONE';
    Object.freeze(this);
  }

  /**
   * Frees the strategy's compiled form in the core now instead of when it is collected. The
   * strategy stays usable: its next decision compiles it again.
   */
  release() {
    const slot = this.#slot;
    if (slot.generation === 0) return;
    collected.unregister(slot);
    const live = liveGeneration(slot.generation);
    slot.generation = 0;
    if (!live) return;
    try {
      live.root.retry.release(slot.handle);
    } catch (cause) {
      throw trapped('release', cause);
    }
  }

  #register(live) {
    let handle;
    try {
      handle = live.root.retry.register(this.#config, this.profile);
    } catch (cause) {
      const record = rejection(cause);
      // resolve() accepted this config, so a rejection now is the core breaking its contract.
      if (record) throw contract(`register rejected a config resolve accepted: ${record.message}`, cause);
      throw trapped('register', cause);
    }
    if (this.#slot.generation === 0) collected.register(this, this.#slot, this.#slot);
    this.#slot.handle = handle;
    this.#slot.generation = live.generation;
  }

  /**
   * Decide for `error`, thrown by attempt `attemptsMade` (1-based). Without `random`, Math.random()
   * is drawn only when the decision uses it (a retry with FULL or HALF jitter), as the JS SDK does.
   */
  decide(error, attemptsMade, decideOptions) {
    let random;
    if (decideOptions !== undefined) {
      if (typeof decideOptions !== 'object' || decideOptions === null) throw typeError('options', decideOptions, 'an object');
      random = decideOptions.random;
    }
    if (typeof attemptsMade !== 'number') throw typeError('attemptsMade', attemptsMade, 'a number');
    if (random !== undefined && typeof random !== 'number') throw typeError('random', random, 'a number in [0, 1)');
    // The JS SDK's step handler gives strategies `error instanceof Error ? error : new Error("Unknown Error")`.
    if (!(error instanceof Error)) return this.#decide(attemptsMade, random, 'Unknown Error', 'Error');
    let message = error.message;
    if (typeof message !== 'string') message = stringOf(message);
    return this.#decide(attemptsMade, random, message, classChain(error));
  }

  static decideRaw(strategy, attemptsMade, random, message, errorTypes) {
    if (!(typeof strategy === 'object' && strategy !== null && #config in strategy)) {
      throw typeError('strategy', strategy, 'a Strategy from retry.createStrategy', undefined);
    }
    if (typeof attemptsMade !== 'number') throw typeError('attemptsMade', attemptsMade, 'a number');
    if (random !== undefined && typeof random !== 'number') throw typeError('random', random, 'a number in [0, 1)');
    if (typeof message !== 'string') throw typeError('message', message, 'a string', 'message');
    if (!Array.isArray(errorTypes) || !errorTypes.every((t) => typeof t === 'string')) {
      throw typeError('errorTypes', errorTypes, 'an array of class names', 'error-types');
    }
    const joined = errorTypes.join('\n');
    const types = errorTypes.some((t) => t.includes('\n')) ? errorTypes : joined;
    return strategy.#decide(attemptsMade, random, message, types);
  }

  static handleIn(strategy, live) {
    if (!(typeof strategy === 'object' && strategy !== null && #slot in strategy)) return undefined;
    if (strategy.#slot.generation !== live.generation) strategy.#register(live);
    return strategy.#slot.handle;
  }

  /** `types`: the class chain newline-joined, or a list when a name itself holds a newline. */
  #decide(attemptsMade, random, message, types) {
    let live = core();
    if (live.generation !== this.#slot.generation) this.#register(live);
    if (random !== undefined) return this.#once(live, attemptsMade, random, message, types);
    // Any draw gives the same outcome, so ask first with 0; only a jittered retry needs a real draw.
    const first = this.#once(live, attemptsMade, 0, message, types);
    if (!this.#draws || !first.shouldRetry) return first;
    live = core();
    if (live.generation !== this.#slot.generation) this.#register(live);
    return this.#once(live, attemptsMade, Math.random(), message, types);
  }

  /** One decision on `live`; throws the core's rejection. */
  #once(live, attemptsMade, random, message, types) {
    const { handle } = this.#slot;
    if (typeof types !== 'string') {
      const d = this.#registered(live, attemptsMade, random, message, types);
      return decision(OUTCOMES.indexOf(d.outcome), safeDelay(d.delaySeconds));
    }
    let raw;
    try {
      raw = live.decidePacked(handle, attemptsMade, random, message, types);
    } catch (cause) {
      throw trapped('decide-packed', cause);
    }
    // (delay << 2) | outcome, a u64 as a BigInt. Up to 2^53 a single Number conversion is exact
    // and cheap; the core's largest answer, (2^53 - 1) << 2, needs BigInt arithmetic.
    const n = Number(raw);
    let outcome;
    let delay;
    if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) {
      outcome = n % 4;
      delay = (n - outcome) / 4;
    } else if (raw > 0n) {
      outcome = Number(raw & 3n);
      delay = safeDelay(raw >> 2n);
    } else {
      throw contract(`decide-packed returned ${BigInt.asUintN(64, raw)}`);
    }
    if (outcome === REJECTED) {
      // decide-registered says why, with the same inputs.
      this.#registered(live, attemptsMade, random, message, types.split('\n').filter((t) => t !== ''));
      throw contract('decide-packed rejected an input decide-registered accepts');
    }
    return decision(outcome, delay);
  }

  #registered(live, attemptsMade, random, message, list) {
    try {
      return live.root.retry.decideRegistered(this.#slot.handle, attemptsMade, random, message, list);
    } catch (cause) {
      const record = rejection(cause);
      if (record) throw jsRejection(record);
      throw trapped('decide-registered', cause);
    }
  }
}

function decision(outcome, delaySeconds) {
  return { outcome: OUTCOMES[outcome], delaySeconds, shouldRetry: outcome === 0 };
}

/** A u64 delay (BigInt) as a Number; the core's delays are at most 2^53 - 1 seconds. */
function safeDelay(delay) {
  if (delay > BigInt(Number.MAX_SAFE_INTEGER)) throw contract(`a delay of ${delay} s, above 2^53-1`);
  return Number(delay);
}

function contract(what, cause) {
  return new DurableCoreError(`durable-core: ${what}`, { kind: 'contract', cause });
}

function stringOf(value) {
  try {
    return String(value);
  } catch {
    return ''; // e.g. a null-prototype object: no text rather than a crash while handling an error
  }
}

/**
 * The error's class chain for the core's type filter: the name of each prototype's own
 * constructor, most specific first, up to but excluding Object (e.g. "TypeError\nError").
 * A list instead of a string when a name itself holds a newline (the packed form's separator).
 */
function classChain(error) {
  let joined = '';
  let newline = false;
  for (let proto = Object.getPrototypeOf(error); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (!Object.hasOwn(proto, 'constructor')) continue;
    const { name } = proto.constructor ?? {};
    if (typeof name !== 'string' || name === '') continue;
    if (name.includes('\n')) newline = true;
    joined = joined === '' ? name : `${joined}\n${name}`;
  }
  if (!newline) return joined;
  const names = [];
  for (let proto = Object.getPrototypeOf(error); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const name = Object.hasOwn(proto, 'constructor') ? proto.constructor?.name : undefined;
    if (typeof name === 'string' && name !== '') names.push(name);
  }
  return names;
}

/**
 * A strategy compiled once in the core. `config`: from exponential(), linear(), preset() or
 * fromCoreConfig(); a plain object is taken as exponential() options (the JS SDK's
 * createRetryStrategy config); undefined is exponential() with every default.
 */
export function createStrategy(config, strategyOptions) {
  const { profile: named = 'unified' } = options('options', strategyOptions);
  const profile = profileOf(named); // the family: retry rules do not differ between releases
  let source = config;
  if (source === undefined) source = exponential();
  else if (!configs.has(source)) {
    if (typeof source !== 'object' || source === null || Array.isArray(source)) {
      throw typeError('config', source, 'a config from retry.exponential(), linear(), preset() or fromCoreConfig(), or exponential options', undefined);
    }
    source = exponential(source);
  }
  let wit = source;
  if ('preset' in source) {
    wit = callFallible('preset', (root) => root.retry.preset(source.preset, profile, source.intervalSeconds), jsRejection);
  }
  const effective = Object.freeze(callFallible('resolve', (root) => root.retry.resolve(wit, profile), jsRejection));
  return new Strategy(CONSTRUCTING, wit, profile, effective, source);
}

/**
 * One decision with the core's inputs as they are (message, class names): for tools that speak
 * the core's language. `random` as for `strategy.decide`.
 */
export function decideRaw(strategy, { attemptsMade, random, message = '', errorTypes = [] } = {}) {
  return Strategy.decideRaw(strategy, attemptsMade, random, message, errorTypes);
}

/**
 * For the package's own modules (src/step.js), not part of the documented API: the handle of
 * `strategy` in instance `live` (from component.js's core()), registering it there first if it
 * was registered in an earlier instance; undefined for a value that is not a Strategy.
 */
export function strategyHandle(strategy, live) {
  return Strategy.handleIn(strategy, live);
}
