"""Retry decisions of the `python` profile, checked against the real released SDK.

aws-durable-execution-sdk-python 3.0.0 is the reference. Two parts:

(a) Vectors. Every `retry` case whose profile is `python` (tests/vectors/*.json, plus every
    directory in DURABLE_CORE_VECTORS, colon-separated) is replayed on the SDK: the strategy is
    built from the case with `create_retry_strategy` / `create_linear_retry_strategy` /
    `RetryPresets.*`, the error is an instance of freshly made classes named after `error_types`
    (most specific first, each subclassing the next) whose `str()` is `message`, and
    `random.random` returns the case's `random`. Nothing from durable-core is used: if a vector
    disagrees with the SDK, the vector is wrong. Error cases are not replayed (the SDK does not
    validate); cases marked "documented divergence" must still make the SDK fail the way the
    source says, so a divergence that disappears is noticed.

(b) Grid. The same configurations given to the SDK and to durable-core's Python host
    (`retry.Strategy(..., profile="python")` and the SDK adapter `aws.retry_strategy`) over a grid
    of delays, rates, jitters, attempts, random draws, filters and exceptions. Every decision
    must be the same.

The SDK's decision says only "retry or not"; where the outcome (attempts-exhausted or
not-retryable) is compared, it is recovered from the SDK itself by asking the same
configuration without its filters (which then retries every error): if that one stops too,
the attempts ran out.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aws_durable_execution_sdk_python.__about__ import __version__ as SDK_VERSION
from aws_durable_execution_sdk_python.config import Duration, JitterStrategy
from aws_durable_execution_sdk_python.retries import (
    LinearRetryStrategyConfig,
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    create_linear_retry_strategy,
    create_retry_strategy,
)

REPO = Path(__file__).resolve().parents[2]
RE_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "a": re.ASCII}
SDK_PRESETS: dict[str, Callable[[], Any]] = {
    "default": RetryPresets.default,
    "no-retry": RetryPresets.none,
    "transient": RetryPresets.transient,
    "resource-availability": RetryPresets.resource_availability,
    "critical": RetryPresets.critical,
    "linear": RetryPresets.linear,
    "fixed": RetryPresets.fixed,
}


def test_reference_is_the_released_sdk() -> None:
    assert SDK_VERSION == "3.0.0"


@contextmanager
def drawing(r: float) -> Iterator[None]:
    """`random.random()` returns r: the SDK and durable-core's host both call it through the
    module attribute."""
    saved = random.random
    random.random = lambda: r
    try:
        yield
    finally:
        random.random = saved


# ---------------------------------------------------------------------------- (a) vectors


def _vector_dirs() -> list[Path]:
    extra = [Path(d) for d in os.environ.get("DURABLE_CORE_VECTORS", "").split(":") if d]
    return [REPO / "tests" / "vectors", *extra]


def _python_cases() -> list[tuple[str, dict[str, Any], dict[str, Any], str]]:
    found = []
    for directory in _vector_dirs():
        for path in sorted(directory.glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("suite") != "retry":
                continue
            for case in document["cases"]:
                if (
                    case["input"].get("profile", "unified") not in ("python", "python@3.0.0")
                    or "error" in case["expected"]
                ):
                    continue
                found.append(
                    (
                        f"{path.name}::{case['name']}",
                        case["input"],
                        case["expected"],
                        case.get("source", ""),
                    )
                )
    return found


PYTHON_CASES = _python_cases()


def test_there_are_python_retry_vectors() -> None:
    # Guards against a parametrised test that silently runs nothing.
    assert len(PYTHON_CASES) >= 50, f"only {len(PYTHON_CASES)} python-profile retry vectors found"


def error_of(message: str, names: list[str]) -> tuple[Exception, dict[str, type]]:
    """An exception whose str() is `message`, of fresh classes named `names` (most specific first,
    each a subclass of the next; the last one subclasses Exception)."""
    classes: dict[str, type] = {}
    base: type = Exception
    for name in reversed(names):
        base = classes[name] = type(name, (base,), {})
    leaf = classes[names[0]] if names else type("UnnamedError", (Exception,), {})
    error = leaf(message)
    assert str(error) == message
    return error, classes


class NotExpressible(Exception):
    """The case uses something the Python SDK has no way to say (e.g. a JS regex)."""


def sdk_strategy(
    case_input: dict[str, Any], classes: dict[str, type], *, filters: bool = True
) -> Any:
    """The SDK's strategy for a vector input. Absent fields keep the SDK's defaults."""
    if "preset" in case_input:
        name = case_input["preset"]["name"]
        interval = case_input["preset"].get("interval_seconds")
        if name == "fixed" and interval is not None:
            return RetryPresets.fixed(Duration(seconds=interval))
        if interval is not None or name not in SDK_PRESETS:
            raise NotExpressible(f"preset {case_input['preset']}")
        return SDK_PRESETS[name]()
    config = case_input.get("config") or {}
    kwargs: dict[str, Any] = {}
    if config.get("max_attempts") is not None:
        kwargs["max_attempts"] = config["max_attempts"]
    for field, sdk_field in (
        ("initial_delay_seconds", "initial_delay"),
        ("max_delay_seconds", "max_delay"),
        ("increment_seconds", "increment"),
    ):
        if config.get(field) is not None:
            # The constructor keeps the number as given (from_seconds would truncate it).
            kwargs[sdk_field] = Duration(seconds=config[field])
    if config.get("backoff_rate") is not None:
        kwargs["backoff_rate"] = config["backoff_rate"]
    if config.get("jitter") is not None:
        kwargs["jitter_strategy"] = JitterStrategy(config["jitter"])
    if filters and config.get("retryable_errors") is not None:
        patterns: list[str | re.Pattern[str]] = []
        for pattern in config["retryable_errors"]:
            if pattern["syntax"] == "substring":
                patterns.append(pattern["source"])
            elif pattern["syntax"] == "python-regex":
                flags = 0
                for letter in pattern.get("flags", ""):
                    flags |= RE_FLAGS[letter]
                patterns.append(re.compile(pattern["source"], flags))
            else:
                raise NotExpressible(f"{pattern['syntax']} pattern {pattern['source']!r}")
        kwargs["retryable_errors"] = patterns
    if filters and config.get("retryable_error_types") is not None:
        # A name in the error's chain is that class; any other name is an unrelated class.
        kwargs["retryable_error_types"] = [
            classes.get(name) or type(name, (Exception,), {})
            for name in config["retryable_error_types"]
        ]
    if config.get("backoff", "exponential") == "linear":
        return create_linear_retry_strategy(LinearRetryStrategyConfig(**kwargs))
    return create_retry_strategy(RetryStrategyConfig(**kwargs))


def sdk_outcome(
    case_input: dict[str, Any], classes: dict[str, type], error: Exception, decision: RetryDecision
) -> dict[str, Any]:
    attempts, r = case_input["attempts_made"], case_input.get("random", 0.0)
    if decision.should_retry:
        return {"outcome": "retry", "delay_seconds": decision.delay_seconds}
    with drawing(r):
        unfiltered = sdk_strategy(case_input, classes, filters=False)(error, attempts)
    outcome = "not-retryable" if unfiltered.should_retry else "attempts-exhausted"
    return {"outcome": outcome, "delay_seconds": decision.delay_seconds}


@pytest.mark.parametrize(
    ("case_input", "expected", "source"),
    [pytest.param(i, e, s, id=name) for name, i, e, s in PYTHON_CASES],
)
def test_vector_matches_the_sdk(
    case_input: dict[str, Any], expected: dict[str, Any], source: str
) -> None:
    error, classes = error_of(case_input.get("message", ""), case_input.get("error_types", []))
    try:
        strategy = sdk_strategy(case_input, classes)
    except NotExpressible as why:
        pytest.skip(f"not expressible with the Python SDK: {why}")
    with drawing(case_input.get("random", 0.0)):
        try:
            decision = strategy(error, case_input["attempts_made"])
        except (OverflowError, ValueError) as raised:
            # Only a documented divergence may make the SDK fail.
            assert "documented divergence" in source, f"the SDK raised {raised!r}"
            assert type(raised).__name__ in source, (
                f"the SDK raised {raised!r}, the source says otherwise"
            )
            return
    assert "documented divergence" not in source, (
        f"the SDK no longer diverges: it returned {decision}"
    )
    actual = sdk_outcome(case_input, classes, error, decision)
    assert decision.should_retry == (expected["outcome"] == "retry")
    assert actual == expected


# ---------------------------------------------------------------------------- (b) grid

from durable_core import aws, retry  # noqa: E402  (after the SDK-only part on purpose)


class GridReport:
    """Counts decisions compared and keeps the first mismatches."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.points = 0  # grid combinations (config x attempts x random x error)
        self.compared = 0  # comparisons: core.decide and aws.retry_strategy at every point
        self.mismatches: list[str] = []

    def check(self, what: str, sdk: Any, core: Any) -> None:
        self.compared += 1
        if sdk != core and len(self.mismatches) < 25:
            self.mismatches.append(f"{what}: SDK {sdk} != durable-core {core}")
        elif sdk != core:
            self.mismatches.append("...")

    def finish(self, minimum: int) -> None:
        print(
            f"\n[grid {self.name}] {self.points} combinations, "
            f"{self.compared} comparisons with the SDK, {len(self.mismatches)} mismatches"
        )
        assert not self.mismatches, "\n".join(self.mismatches[:25])
        assert self.points >= minimum, f"grid {self.name}: only {self.points} combinations"


class Both:
    """One configuration given to the SDK and to durable-core (core.decide and the SDK adapter).

    `sdk_unfiltered` is the SDK strategy without filters, to tell not-retryable from
    attempts-exhausted; None when the configuration has no filters (every stop is exhaustion).
    """

    def __init__(
        self,
        label: str,
        sdk: Callable[[Exception, int], RetryDecision],
        config: retry.StrategyConfig | retry.Preset,
        sdk_unfiltered: Callable[[Exception, int], RetryDecision] | None = None,
    ) -> None:
        self.label = label
        self.sdk = sdk
        self.sdk_unfiltered = sdk_unfiltered
        self.core = retry.Strategy(config, profile="python")
        self.adapter = aws.retry_strategy(config, profile="python")

    def compare(self, report: GridReport, error: Exception, attempts: int, r: float) -> None:
        report.points += 1
        with drawing(r):
            expected = self.sdk(error, attempts)
            if expected.should_retry:
                outcome = "retry"
            else:
                unfiltered = self.sdk_unfiltered
                stops = unfiltered is None or not unfiltered(error, attempts).should_retry
                outcome = "attempts-exhausted" if stops else "not-retryable"
            adapted = self.adapter(error, attempts)
        decided = self.core.decide(attempts, error=error, random=r)
        what = f"{self.label} attempt={attempts} r={r} error={type(error).__name__}({str(error)!r})"
        report.check(
            what,
            (outcome, expected.delay_seconds),
            (decided.outcome, decided.delay_seconds),
        )
        report.check(
            what + " [aws.retry_strategy]",
            (expected.should_retry, expected.delay_seconds),
            (adapted.should_retry, adapted.delay_seconds),
        )


RANDOMS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.999)
JITTERS = (JitterStrategy.NONE, JitterStrategy.FULL, JitterStrategy.HALF)


def draws(jitter: JitterStrategy) -> tuple[float, ...]:
    return (0.5,) if jitter is JitterStrategy.NONE else RANDOMS


def test_grid_exponential() -> None:
    report = GridReport("exponential")
    error = RuntimeError("boom")
    for initial, max_delay, rate, jitter in itertools.product(
        (0, 1, 1.7, 3, 5, 100), (1, 7, 60, 300), (0, 0.5, 1, 1.1, 1.5, 2, 2.0, 3), JITTERS
    ):
        kwargs = dict(
            max_attempts=12,
            initial_delay=Duration(seconds=initial),
            max_delay=Duration(seconds=max_delay),
            backoff_rate=rate,
            jitter_strategy=jitter,
        )
        sdk = create_retry_strategy(RetryStrategyConfig(**kwargs))
        config = retry.exponential(
            max_attempts=12,
            initial_delay=Duration(seconds=initial),
            max_delay=Duration(seconds=max_delay),
            backoff_rate=rate,
            jitter=jitter,
        )
        label = f"exponential initial={initial} max={max_delay} rate={rate!r} {jitter.value}"
        both = Both(label, sdk, config)
        for attempts in range(1, 14):
            for r in draws(jitter):
                both.compare(report, error, attempts, r)
    report.finish(minimum=20_000)


def test_grid_linear() -> None:
    report = GridReport("linear")
    error = TimeoutError("slow")
    for initial, increment, max_delay, jitter in itertools.product(
        (0, 1, 2.5, 10), (0, 1, 3, 7.5), (5, 300), JITTERS
    ):
        sdk = create_linear_retry_strategy(
            LinearRetryStrategyConfig(
                max_attempts=8,
                initial_delay=Duration(seconds=initial),
                increment=Duration(seconds=increment),
                max_delay=Duration(seconds=max_delay),
                jitter_strategy=jitter,
            )
        )
        config = retry.linear(
            max_attempts=8,
            initial_delay=initial,
            increment=increment,
            max_delay=max_delay,
            jitter=jitter,
        )
        label = f"linear initial={initial} increment={increment} max={max_delay} {jitter.value}"
        both = Both(label, sdk, config)
        for attempts in range(1, 10):
            for r in draws(jitter):
                both.compare(report, error, attempts, r)
    report.finish(minimum=1_500)


def test_grid_defaults_and_presets() -> None:
    """No config at all (each backoff's defaults) and every preset, by its SDK factory."""
    report = GridReport("defaults-and-presets")
    error = ConnectionResetError("reset by peer")
    cases: list[tuple[str, Any, Any]] = [
        ("create_retry_strategy()", create_retry_strategy(), retry.exponential()),
        ("create_linear_retry_strategy()", create_linear_retry_strategy(), retry.linear()),
        (
            "RetryPresets.fixed(12 s)",
            RetryPresets.fixed(Duration.from_seconds(12)),
            retry.preset("fixed", 12),
        ),
    ]
    for name, factory in SDK_PRESETS.items():
        cases.append((f"preset {name}", factory(), retry.preset(name)))
    for label, sdk, config in cases:
        both = Both(label, sdk, config)
        for attempts in range(1, 13):
            for r in RANDOMS:
                both.compare(report, error, attempts, r)
    report.finish(minimum=700)


class ServiceError(Exception):
    pass


class ThrottlingError(ServiceError):
    pass


class Unrelated(Exception):
    pass


FILTERS: list[tuple[str, list[Any] | None, list[type] | None]] = [
    ("unset/unset", None, None),
    ("errors []", [], None),
    ("types []", None, []),
    ("both []", [], []),
    ("'timeout'", ["timeout"], None),
    ("''", [""], None),
    ("'Timeout'", ["Timeout"], None),
    ("re time.?out", [re.compile("time.?out")], None),
    ("re ^timeout", [re.compile("^timeout")], None),
    ("re THROTTL/i", [re.compile("THROTTL", re.IGNORECASE)], None),
    ("re 5\\d\\d/a", [re.compile(r"5\d\d", re.ASCII)], None),
    ("re later$", [re.compile("later$")], None),
    ("re a.b", [re.compile("a.b")], None),
    ("re a.b/s", [re.compile("a.b", re.DOTALL)], None),
    ("re ^'missing'$", [re.compile("^'missing'$")], None),
    ("re (?:reset|refused) by", [re.compile("(?:reset|refused) by")], None),
    ("re ^$", [re.compile("^$")], None),
    ("types [OSError]", None, [OSError]),
    ("types [TimeoutError]", None, [TimeoutError]),
    ("types [ValueError, KeyError]", None, [ValueError, KeyError]),
    ("types [ServiceError]", None, [ServiceError]),
    ("types [Exception]", None, [Exception]),
    ("'throttl' or [ConnectionError]", ["throttl"], [ConnectionError]),
    ("[] or [LookupError]", [], [LookupError]),
    ("re ^Request/i or [Unrelated]", [re.compile("^request", re.IGNORECASE)], [Unrelated]),
]
ERRORS: list[Exception] = [
    RuntimeError("boom"),
    TimeoutError("connection timeout"),
    TimeoutError("Timeout"),
    ConnectionResetError("reset by peer"),
    KeyError("missing"),  # str() is "'missing'"
    ValueError("a", "b"),  # str() is "('a', 'b')"
    RuntimeError(),  # str() is ""
    ThrottlingError("Request throttled"),
    ServiceError("HTTP status 503"),
    OSError("try again later\n"),
    Exception("a\nb"),
    Unrelated("connection time-out"),
]


def test_grid_filters() -> None:
    report = GridReport("filters")
    for (label, patterns, types), error in itertools.product(FILTERS, ERRORS):
        common = dict(max_attempts=3, jitter_strategy=JitterStrategy.FULL)
        sdk = create_retry_strategy(
            RetryStrategyConfig(retryable_errors=patterns, retryable_error_types=types, **common)
        )
        sdk_unfiltered = create_retry_strategy(RetryStrategyConfig(**common))
        config = retry.exponential(
            max_attempts=3, jitter="FULL", retryable_errors=patterns, retryable_error_types=types
        )
        both = Both(f"filter {label}", sdk, config, sdk_unfiltered)
        for attempts in (1, 2, 3):
            for r in (0.0, 0.5, 0.999):
                both.compare(report, error, attempts, r)
    report.finish(minimum=2_000)


def test_grid_linear_filters() -> None:
    """The linear strategy resolves its filters the same way."""
    report = GridReport("linear-filters")
    for (label, patterns, types), error in itertools.product(FILTERS, ERRORS):
        common = dict(max_attempts=4, jitter_strategy=JitterStrategy.HALF)
        sdk = create_linear_retry_strategy(
            LinearRetryStrategyConfig(
                retryable_errors=patterns, retryable_error_types=types, **common
            )
        )
        sdk_unfiltered = create_linear_retry_strategy(LinearRetryStrategyConfig(**common))
        config = retry.linear(
            max_attempts=4, jitter="HALF", retryable_errors=patterns, retryable_error_types=types
        )
        both = Both(f"linear filter {label}", sdk, config, sdk_unfiltered)
        for attempts in (1, 3, 4):
            both.compare(report, error, attempts, 0.4)
    report.finish(minimum=900)


def test_grid_large_attempts() -> None:
    """Huge attempt numbers with an int rate (the SDK's exact integer arithmetic)."""
    report = GridReport("large-attempts")
    error = RuntimeError("boom")
    for initial, rate, jitter in itertools.product((0, 1, 5), (2, 3, 10), JITTERS):
        sdk = create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=100_000,
                initial_delay=Duration(seconds=initial),
                max_delay=Duration(seconds=600),
                backoff_rate=rate,
                jitter_strategy=jitter,
            )
        )
        config = retry.exponential(
            max_attempts=100_000,
            initial_delay=initial,
            max_delay=600,
            backoff_rate=rate,
            jitter=jitter,
        )
        both = Both(f"large initial={initial} rate={rate} {jitter.value}", sdk, config)
        for attempts in (30, 64, 1000, 1024, 1025, 1100, 5000, 99_999, 100_000):
            for r in draws(jitter):
                both.compare(report, error, attempts, r)
    report.finish(minimum=500)


# ------------------------------------------------------------------ documented divergences


def test_divergence_float_rate_overflow_is_capped() -> None:
    """The SDK raises OverflowError once 2.0**(n-1) leaves the double range (its default rate is
    the float 2.0); durable-core caps at max_delay instead."""
    with drawing(0.5):
        with pytest.raises(OverflowError):
            create_retry_strategy(RetryStrategyConfig(max_attempts=10_000))(RuntimeError("x"), 1025)
        below = create_retry_strategy(RetryStrategyConfig(max_attempts=10_000))
        assert below(RuntimeError("x"), 1024).delay_seconds == 150
    core = retry.Strategy(retry.exponential(max_attempts=10_000), profile="python")
    assert core.decide(1025, error=RuntimeError("x"), random=0.5) == retry.Decision("retry", 150)


def test_divergence_types_are_matched_by_name() -> None:
    """The SDK matches types with isinstance (class identity); durable-core matches the class
    chain's qualified names. Two different classes with the same module and qualified name are
    therefore the same type to durable-core and different types to the SDK."""
    first = type("Twin", (Exception,), {})
    second = type("Twin", (Exception,), {})
    assert first is not second and first.__qualname__ == second.__qualname__
    sdk = create_retry_strategy(RetryStrategyConfig(retryable_error_types=[first]))
    core = retry.Strategy(retry.exponential(retryable_error_types=[first]), profile="python")
    with drawing(0.5):
        assert sdk(second("x"), 1).should_retry is False
    assert core.decide(1, error=second("x"), random=0.5).should_retry is True


def test_divergence_virtual_subclasses_are_not_seen() -> None:
    """isinstance honours ABC registration (__subclasshook__/register); durable-core sees only the
    class's real MRO, so a registered virtual subclass is not retried."""
    import abc

    class Transient(Exception, metaclass=abc.ABCMeta):
        pass

    Transient.register(TimeoutError)
    sdk = create_retry_strategy(RetryStrategyConfig(retryable_error_types=[Transient]))
    core = retry.Strategy(retry.exponential(retryable_error_types=[Transient]), profile="python")
    with drawing(0.5):
        assert sdk(TimeoutError("slow"), 1).should_retry is True
    assert core.decide(1, error=TimeoutError("slow"), random=0.5).outcome == "not-retryable"
