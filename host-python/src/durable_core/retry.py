"""Step retry strategies from the core: "should this failed attempt be retried, and when?".

Defaults, presets, validation and the arithmetic live in the component; this module turns
Python values (durations, ``re.Pattern``, exception classes) into the core's configuration.

    from durable_core import retry
    strategy = retry.Strategy(retry.exponential(max_attempts=5, initial_delay=2), profile="python")
    strategy.decide(1, error=TimeoutError("slow"))  # Decision(outcome='retry', delay_seconds=...)
"""

from __future__ import annotations

import random as _random
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ._native import Record
from ._runtime import Runtime, runtime
from ._types import Profile, parse_profile
from .errors import InvalidInputError, invalid, wrong_type

# Core field names (WIT) -> the names of this module's parameters.
_PYTHON_FIELDS = {
    "initial-delay-seconds": "initial_delay",
    "max-delay-seconds": "max_delay",
    "increment-seconds": "increment",
    "interval-seconds": "interval",
}
# Python's re flags as the core's flag letters.
_RE_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s", re.ASCII: "a"}
_UNSUPPORTED_RE_FLAGS = re.VERBOSE | re.LOCALE | re.DEBUG


@dataclass(frozen=True)
class StrategyConfig:
    """A strategy as written; ``None`` fields take the core's defaults."""

    backoff: str = "exponential"
    max_attempts: float | None = None
    initial_delay: float | None = None
    max_delay: float | None = None
    backoff_rate: float | None = None
    increment: float | None = None
    jitter: str | None = None
    retryable_errors: tuple[tuple[str, str, str], ...] | None = None
    """(syntax, source, flags) triples, as the core takes them."""
    retryable_error_types: tuple[str, ...] | None = None
    """Qualified class names (``module.QualName``; builtins by bare name)."""


@dataclass(frozen=True)
class Preset:
    """A preset, resolved by the core under the strategy's profile."""

    name: str
    interval: float | None = None


@dataclass(frozen=True)
class Decision:
    outcome: str
    """``retry``, ``attempts-exhausted`` or ``not-retryable``."""
    delay_seconds: int
    """Whole seconds before the next attempt when retrying, else 0."""

    @property
    def should_retry(self) -> bool:
        return self.outcome == "retry"


@dataclass(frozen=True)
class EffectiveConfig:
    """A configuration with every default filled in, as the core resolved it."""

    backoff: str
    max_attempts: int
    initial_delay: float
    max_delay: float
    backoff_rate: float
    increment: float
    jitter: str
    retries_every_error: bool


def exponential(
    *,
    max_attempts: int | None = None,
    initial_delay: Any = None,
    max_delay: Any = None,
    backoff_rate: float | None = None,
    jitter: Any = None,
    retryable_errors: Iterable[str | re.Pattern[str]] | None = None,
    retryable_error_types: Iterable[type[BaseException] | str] | None = None,
) -> StrategyConfig:
    """delay = min(initial_delay * backoff_rate^(attempt-1), max_delay), then jitter."""
    return StrategyConfig(
        backoff="exponential",
        backoff_rate=_number("backoff_rate", backoff_rate),
        **_shared(
            max_attempts, initial_delay, max_delay, jitter, retryable_errors, retryable_error_types
        ),
    )


def linear(
    *,
    max_attempts: int | None = None,
    initial_delay: Any = None,
    increment: Any = None,
    max_delay: Any = None,
    jitter: Any = None,
    retryable_errors: Iterable[str | re.Pattern[str]] | None = None,
    retryable_error_types: Iterable[type[BaseException] | str] | None = None,
) -> StrategyConfig:
    """delay = min(initial_delay + increment * (attempt-1), max_delay), then jitter."""
    return StrategyConfig(
        backoff="linear",
        increment=_seconds("increment", increment),
        **_shared(
            max_attempts, initial_delay, max_delay, jitter, retryable_errors, retryable_error_types
        ),
    )


def _shared(
    max_attempts: Any,
    initial_delay: Any,
    max_delay: Any,
    jitter: Any,
    retryable_errors: Any,
    retryable_error_types: Any,
) -> dict[str, Any]:
    """The settings both backoffs have, translated to the core's units."""
    return {
        "max_attempts": _number("max_attempts", max_attempts),
        "initial_delay": _seconds("initial_delay", initial_delay),
        "max_delay": _seconds("max_delay", max_delay),
        "jitter": _jitter(jitter),
        "retryable_errors": _patterns(retryable_errors),
        "retryable_error_types": _type_names(retryable_error_types),
    }


def preset(name: str, interval: Any = None) -> Preset:
    """A preset by its Python SDK name (``none``, ``default``, ``transient``,
    ``resource_availability``, ``critical``, ``linear``, ``fixed``) or JS name (``noRetry``)."""
    if not isinstance(name, str):
        raise wrong_type("preset", name, "str")
    core_name = "no-retry" if name == "noRetry" else name.replace("_", "-")
    if core_name == "resourceAvailability":
        core_name = "resource-availability"
    return Preset(core_name, _seconds("interval", interval))


class Strategy:
    """A configuration compiled once in the core (regexes included), for repeated decisions."""

    def __init__(
        self,
        config: StrategyConfig | Preset | str | None = None,
        *,
        profile: Profile | str = Profile.UNIFIED,
    ) -> None:
        self.profile = parse_profile(profile)
        self.config = _as_config(config, self.profile)
        self._runtime = runtime()
        self._handle: int | None = None
        self._generation = -1
        self.effective = self._resolve()
        self._finalizer: weakref.finalize | None = None

    def decide(
        self,
        attempts_made: int,
        *,
        error: BaseException | None = None,
        message: str | None = None,
        error_types: Sequence[str] | None = None,
        random: float | None = None,
    ) -> Decision:
        """Decide for the attempt that just failed (1-based). Pass the exception (its ``str()``
        and class chain are used, as the Python SDK does) or ``message``/``error_types``."""
        if error is not None:
            if not isinstance(error, BaseException):
                raise wrong_type("error", error, "an exception")
            message = str(error)
            error_types = exception_type_names(type(error))
        text = _text("message", message)
        names = _type_names(error_types) or ()
        types = "\n".join(names)
        draw = _random.random() if random is None else _number("random", random)
        attempts = _number("attempts_made", attempts_made)
        if attempts is None:
            raise wrong_type("attempts_made", attempts_made, "a number")
        rt = self._runtime
        with rt.lock:
            handle = self._registered(rt)

            def typed() -> Any:  # the same decision through the typed call
                args = (handle, attempts, draw, text.decode(), list(names))
                return rt.call("retry#decide-registered", *args)

            if any("\n" in name for name in names):
                # decide-packed takes the chain newline-separated: a name holding a newline
                # would split into two. The typed call takes the list as it is.
                return _decision(_unwrap(typed()))
            packed = rt.call_flat(
                "retry#decide-packed",
                ("u32", "f64", "f64", "string", "string"),
                "u64",
                handle,
                attempts,
                draw,
                text,
                types.encode(),
            )
            outcome = packed & 3
            if outcome == 3:  # rejected: the typed call returns the error record
                _raise_core_error(typed())
        return _DECISIONS[outcome](packed >> 2)

    def _resolve(self) -> EffectiveConfig:
        result = _unwrap(
            self._runtime.call("retry#resolve", _to_wit(self.config), self.profile.value)
        )
        fields = vars(result)
        return EffectiveConfig(
            backoff=fields["backoff"],
            max_attempts=fields["max-attempts"],
            initial_delay=fields["initial-delay-seconds"],
            max_delay=fields["max-delay-seconds"],
            backoff_rate=fields["backoff-rate"],
            increment=fields["increment-seconds"],
            jitter=fields["jitter"],
            retries_every_error=fields["retries-every-error"],
        )

    def _registered(self, rt: Runtime) -> int:
        """The handle in the current instance; a trap re-creates the instance, and with it
        the registry, so register again when the generation moved."""
        generation = rt.generation
        if self._handle is None or self._generation != generation:
            self._handle = _unwrap(
                rt.call("retry#register", _to_wit(self.config), self.profile.value)
            )
            self._generation = generation
            if self._finalizer is not None:
                self._finalizer.detach()
            self._finalizer = weakref.finalize(self, _release, rt, self._handle, self._generation)
        return self._handle


def decide(
    config: StrategyConfig | Preset | str | None,
    attempts_made: int,
    *,
    profile: Profile | str = Profile.UNIFIED,
    error: BaseException | None = None,
    message: str | None = None,
    error_types: Sequence[str] | None = None,
    random: float | None = None,
) -> Decision:
    """One decision without keeping a strategy (compiles the configuration each time)."""
    return Strategy(config, profile=profile).decide(
        attempts_made, error=error, message=message, error_types=error_types, random=random
    )


def exception_type_names(cls: type) -> list[str]:
    """The class chain as the core matches it: most specific first, qualified names."""
    return [_qualified(c) for c in cls.__mro__ if c is not object]


def _decision(record: Any) -> Decision:
    fields = vars(record)
    return Decision(fields["outcome"], fields["delay-seconds"])


_DECISIONS = (
    lambda delay: Decision("retry", delay),
    lambda _delay: Decision("attempts-exhausted", 0),
    lambda _delay: Decision("not-retryable", 0),
)


def _release(rt: Runtime, handle: int, generation: int) -> None:
    with rt.lock:
        if rt.instances_created == generation:
            rt.call("retry#release", handle)


def _as_config(config: Any, profile: Profile) -> StrategyConfig:
    if config is None:
        return StrategyConfig()
    if isinstance(config, str):
        config = preset(config)
    if isinstance(config, Preset):
        if not isinstance(config.name, str):
            raise wrong_type("preset", config.name, "a preset name (str)")
        interval = _number("interval", config.interval)
        wit = _unwrap(runtime().call("retry#preset", config.name, profile.value, interval))
        return _from_wit(wit)
    if isinstance(config, StrategyConfig):
        return config
    raise wrong_type("config", config, "StrategyConfig, Preset or a preset name")


_BACKOFFS = ("exponential", "linear")
_SYNTAXES = ("substring", "python-regex", "js-regex")


def _to_wit(config: StrategyConfig) -> Record:
    # Enum fields become WIT enums: a name outside them would fail in the conversion (reported
    # as a trap, costing the instance) instead of naming the field.
    if config.backoff not in _BACKOFFS:
        raise invalid("backoff", config.backoff, "'exponential' or 'linear'")
    if config.jitter is not None and not isinstance(config.jitter, str):
        raise wrong_type("jitter", config.jitter, "'NONE', 'FULL', 'HALF' or None")
    names = config.retryable_error_types
    if names is not None and (isinstance(names, str) or not all(isinstance(n, str) for n in names)):
        raise wrong_type("retryable_error_types", names, "a tuple of class names (str)")
    triples = config.retryable_errors
    triple = tuple | list
    if triples is not None and (
        isinstance(triples, str) or not all(isinstance(t, triple) and len(t) == 3 for t in triples)
    ):
        raise wrong_type("retryable_errors", triples, "(syntax, source, flags) triples")
    record = Record()

    def f64(field: str, value: float | None) -> float | None:
        # option<f64> only takes floats; configs built by hand may hold ints (or anything).
        return _number(field, value)

    for name, value in (
        ("backoff", config.backoff),
        ("max-attempts", f64("max_attempts", config.max_attempts)),
        ("initial-delay-seconds", f64("initial_delay", config.initial_delay)),
        ("max-delay-seconds", f64("max_delay", config.max_delay)),
        ("backoff-rate", f64("backoff_rate", config.backoff_rate)),
        ("increment-seconds", f64("increment", config.increment)),
        ("jitter", config.jitter),
        ("retryable-error-types", _list(config.retryable_error_types)),
    ):
        setattr(record, name, value)
    patterns = None
    if config.retryable_errors is not None:
        patterns = []
        for syntax, source, flags in config.retryable_errors:
            if syntax not in _SYNTAXES:
                raise invalid("retryable_errors", syntax, "a syntax in " + ", ".join(_SYNTAXES))
            if not isinstance(source, str) or not isinstance(flags, str):
                raise wrong_type("retryable_errors", (source, flags), "str source and flags")
            pattern = Record()
            pattern.syntax, pattern.source, pattern.flags = syntax, source, flags
            patterns.append(pattern)
    setattr(record, "retryable-errors", patterns)
    return record


def _from_wit(record: Any) -> StrategyConfig:
    fields = vars(record)
    return StrategyConfig(
        backoff=fields["backoff"],
        max_attempts=fields["max-attempts"],
        initial_delay=fields["initial-delay-seconds"],
        max_delay=fields["max-delay-seconds"],
        backoff_rate=fields["backoff-rate"],
        increment=fields["increment-seconds"],
        jitter=fields["jitter"],
    )


def _list(items: tuple[str, ...] | None) -> list[str] | None:
    return None if items is None else list(items)


def _unwrap(result: Any) -> Any:
    """wasmtime-py returns ``result<T, error>`` as a tagged Variant when T and error are both
    records, and untagged otherwise; an error record has a ``field`` attribute either way."""
    tag = getattr(result, "tag", None)
    if tag == "err":
        _raise_core_error(result.payload)
    if tag == "ok":
        return result.payload
    if hasattr(result, "field") and hasattr(result, "kind"):
        _raise_core_error(result)
    return result


def _raise_core_error(result: Any) -> None:
    error = getattr(result, "payload", result) if getattr(result, "tag", None) == "err" else result
    if getattr(result, "tag", None) == "ok" or not hasattr(error, "field"):
        raise RuntimeError(f"durable-core accepted an input its packed path rejected: {result!r}")
    field = _PYTHON_FIELDS.get(error.field, error.field.replace("-", "_"))
    raise InvalidInputError(
        f"{field}: {error.message} (got {error.value}) [durable-core field {error.field}]",
        kind=error.kind,
        field=field,
        value=error.value,
    )


def _number(field: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise wrong_type(field, value, "a number")
    try:
        return float(value)
    except OverflowError:  # an int beyond a float (10**400); the core checks every other range
        raise invalid(field, value, "a number within a 64-bit float", kind="out-of-range") from None


def _seconds(field: str, value: Any) -> float | None:
    """Seconds as a number, a ``datetime.timedelta`` or the SDK's ``Duration``."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    to_seconds = getattr(value, "to_seconds", None)
    if callable(to_seconds):
        value = to_seconds()
    return _number(field, value)


def _jitter(value: Any) -> str | None:
    if value is None:
        return None
    # The SDK's JitterStrategy is a StrEnum whose values are the core's names.
    if not isinstance(value, str):
        raise wrong_type("jitter", value, "'NONE', 'FULL', 'HALF' or JitterStrategy")
    return str(value)


def _patterns(items: Iterable[Any] | None) -> tuple[tuple[str, str, str], ...] | None:
    if items is None:
        return None
    if isinstance(items, str | bytes | re.Pattern):
        raise wrong_type("retryable_errors", items, "a list of str or re.Pattern")
    out = []
    for item in items:
        source = item.pattern if isinstance(item, re.Pattern) else item
        if isinstance(source, str) and not _is_unicode(source):
            raise invalid("retryable_errors", item, "text without lone surrogates")
        if isinstance(item, str):
            out.append(("substring", item, ""))
        elif isinstance(item, re.Pattern) and isinstance(item.pattern, str):
            if item.flags & _UNSUPPORTED_RE_FLAGS:
                raise invalid("retryable_errors", item, "a pattern without re.VERBOSE/LOCALE/DEBUG")
            flags = "".join(letter for flag, letter in _RE_FLAGS.items() if item.flags & flag)
            out.append(("python-regex", item.pattern, flags))
        else:
            raise wrong_type("retryable_errors", item, "str or a str re.Pattern")
    return tuple(out)


def _type_names(items: Iterable[Any] | None) -> tuple[str, ...] | None:
    if items is None:
        return None
    if isinstance(items, str | type):
        raise wrong_type("retryable_error_types", items, "a list of exception classes or names")
    names = []
    for item in items:
        if isinstance(item, type):
            names.append(_qualified(item))
        elif isinstance(item, str):
            names.append(item)
        else:
            raise wrong_type("retryable_error_types", item, "an exception class or its name")
    return tuple(names)


def _is_unicode(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _qualified(cls: type) -> str:
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def _text(field: str, value: str | None) -> bytes:
    if value is None:
        return b""
    if not isinstance(value, str):
        raise wrong_type(field, value, "str")
    # str(error) may hold lone surrogates; the SDK would match them, the core cannot see them.
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode()
