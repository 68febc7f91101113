"""Handlers for the official step, wait and child requirements, written once against the API of
aws-durable-execution-sdk-python 3.0.0. ``Api`` is the package a handler imports from: the SDK
itself (driver ``python-sdk``) or ``durable_core.sdk`` (driver ``core-python``), so both drivers run
the same handler source with only the package name changed. Each handler implements its
requirement's ``handler``/``invocations`` prose; retry strategies come from ``s``.

Attempt-dependent behaviour reads ``StepContext.attempt``, so no store outlives an invocation. A
Lambda crash (1-17, 1-18, 3-12) is a ``SimulatedLambdaCrash`` (a ``BaseException``) raised inside
a step: neither the SDK nor durable-core catches it, so the invocation ends with no checkpoint, as
``os._exit`` would, and the driver's Lambda wrapper reports the crash.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import durable_core
from durable_core import retry as core_retry

Body = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Api:
    """The modules a handler imports, from one package."""

    package: str
    config: ModuleType
    exceptions: ModuleType
    retries: ModuleType
    serdes: ModuleType
    execution: ModuleType

    @classmethod
    def of(cls, package: str) -> Api:
        module = lambda name: importlib.import_module(f"{package}.{name}")
        return cls(
            package,
            module("config"),
            module("exceptions"),
            module("retries"),
            module("serdes"),
            module("execution"),
        )


class CoreStrategies:
    """durable-core's strategies through the SDK's public hook (``durable_core.aws``)."""

    name = "durable-core"

    def _wrap(self, config: Any) -> Callable:
        return durable_core.aws.retry_strategy(config, profile="python")

    def default(self) -> Callable | None:
        return self._wrap(core_retry.preset("default"))

    def none(self) -> Callable:
        return self._wrap(core_retry.preset("none"))

    def exponential(self, **config: Any) -> Callable:
        return self._wrap(core_retry.exponential(**config))


class ApiStrategies:
    """The package's own strategies (the SDK's, or durable_core.sdk's), configured alike."""

    name = "sdk"

    def __init__(self, api: Api) -> None:
        self.api = api

    def default(self) -> Callable | None:
        return None  # StepConfig without a strategy: the package's default

    def none(self) -> Callable:
        return self.api.retries.RetryPresets.none()

    def exponential(
        self,
        *,
        max_attempts: int,
        initial_delay: float,
        backoff_rate: float | None = None,
        jitter: str,
        retryable_error_types: list[type[Exception]] | None = None,
    ) -> Callable:
        config = self.api.retries.RetryStrategyConfig(
            max_attempts=max_attempts,
            initial_delay=self.api.config.Duration.from_seconds(initial_delay),
            jitter_strategy=self.api.config.JitterStrategy[jitter],
            retryable_error_types=retryable_error_types,
        )
        if backoff_rate is not None:
            config.backoff_rate = backoff_rate
        return self.api.retries.create_retry_strategy(config)


class TransientError(Exception):
    pass


class SimulatedLambdaCrash(BaseException):
    """Ends the invocation from inside a step with no checkpoint, like ``os._exit``."""


def _always_fail(_step: Any) -> Any:
    raise RuntimeError("step always fails")


def handlers(
    api: Api,
    s: CoreStrategies | ApiStrategies,
    replay_logging: Callable[[Any], None] | None = None,
) -> dict[str, Body]:
    """Requirement id -> the durable handler body, on package ``api``, strategies from ``s``.
    ``replay_logging(ctx)`` turns on logging during replay, which 3-11 and 3-17 ask for (without
    it those two are not offered). Build the handlers once per execution: 3-12 crashes once per
    set of handlers (an interrupted at-least-once step runs again as the same attempt, so nothing
    inside the invocation can tell the first run from the second)."""
    crashed: set[str] = set()
    Duration = api.config.Duration
    StepConfig = api.config.StepConfig
    StepSemantics = api.config.StepSemantics
    ChildConfig = api.config.ChildConfig
    StepError = api.exceptions.StepError
    ChildContextError = api.exceptions.ChildContextError

    class UppercaseSerDes(api.serdes.SerDes):  # type: ignore[name-defined,misc]
        """Serialises strings upper-cased, as JSON (1-6)."""

        def serialize(self, value: Any, _context: Any) -> str:
            return json.dumps(value.upper() if isinstance(value, str) else value)

        def deserialize(self, data: str, _context: Any) -> Any:
            return json.loads(data)

    class UppercaseText(api.serdes.SerDes):  # type: ignore[name-defined,misc]
        """Writes the upper-cased text itself, not JSON (3-14)."""

        def serialize(self, value: Any, _context: Any) -> str:
            return str(value).upper()

        def deserialize(self, data: str, _context: Any) -> Any:
            return data

    def cfg(strategy: Callable | None = None, **extra: Any) -> Any:
        return StepConfig(retry_strategy=strategy, **extra)

    def default() -> Any:
        return cfg(s.default())

    def no_retry() -> Any:
        return cfg(s.none())

    def one_second(max_attempts: int) -> Any:
        return cfg(
            s.exponential(max_attempts=max_attempts, initial_delay=1, jitter="NONE")
        )

    # --- step suite (1-*) ---------------------------------------------------------------------

    def h1_1(event: Any, ctx: Any) -> Any:
        return ctx.step(lambda _s: f"Hello, {event}!", config=default())

    def h1_2(event: Any, ctx: Any) -> Any:
        return ctx.step(
            lambda _s: f"Hello, {event}!", name="custom_step_name", config=default()
        )

    def h1_3(_event: Any, ctx: Any) -> Any:
        first = ctx.step(lambda _s: "first", config=default())
        return ctx.step(lambda _s: f"{first}_second", config=default())

    def h1_4(event: Any, ctx: Any) -> Any:
        def build_response(_s: Any) -> dict:
            return {
                "user": {"name": event["name"], "tags": list(event["tags"])},
                "count": len(event["tags"]),
            }

        return ctx.step(build_response, config=default())

    def h1_5(_event: Any, ctx: Any) -> Any:
        return ctx.step(lambda _s: None, config=default())

    def h1_6(event: Any, ctx: Any) -> Any:
        return ctx.step(
            lambda _s: event, config=cfg(s.default(), serdes=UppercaseSerDes())
        )

    def h1_7(event: Any, ctx: Any) -> Any:
        def greet(step: Any) -> str:
            step.logger.info(f"Greeting step started for: {event}")
            greeting = f"Hello, {event}!"
            step.logger.info(f"Greeting step completed with: {greeting}")
            return greeting

        return ctx.step(greet, config=default())

    def h1_8(_event: Any, ctx: Any) -> Any:
        value = ctx.step(lambda _s: "computed", config=default())
        ctx.wait(Duration.from_seconds(2))
        return value

    def h1_9(_event: Any, ctx: Any) -> Any:
        def func(step: Any) -> str:
            step.logger.info("step executed")
            return "cached_value"

        value = ctx.step(func, config=default())
        ctx.wait(Duration.from_seconds(1))
        return value

    def h1_10(_event: Any, ctx: Any) -> Any:
        def func(step: Any) -> Any:
            step.logger.info("step executed")
            raise RuntimeError("permanent failure")

        outcome = "step succeeded"
        try:
            ctx.step(func, config=no_retry())
        except StepError:  # the requirement catches the step's error and goes on
            outcome = "handled"
        ctx.wait(Duration.from_seconds(1))
        return outcome

    def h1_11(_event: Any, ctx: Any) -> Any:
        def unreliable(step: Any) -> str:
            if step.attempt < 2:
                raise RuntimeError("first attempt fails")
            return "Operation succeeded"

        return ctx.step(unreliable, config=one_second(3))

    def h1_12(_event: Any, ctx: Any) -> Any:
        strategy = s.exponential(
            max_attempts=4, initial_delay=1, backoff_rate=1, jitter="NONE"
        )
        return ctx.step(_always_fail, config=cfg(strategy))

    def h1_13(_event: Any, ctx: Any) -> Any:
        def unreliable(step: Any) -> str:
            if step.attempt < 3:
                raise RuntimeError(f"attempt {step.attempt} fails")
            return "succeeded on third attempt"

        return ctx.step(unreliable, config=default())

    def h1_14(_event: Any, ctx: Any) -> Any:
        def func(step: Any) -> str:
            if step.attempt < 3:
                raise RuntimeError(f"attempt {step.attempt} fails")
            return "succeeded after backoff"

        strategy = s.exponential(
            max_attempts=5, initial_delay=2, backoff_rate=3, jitter="NONE"
        )
        return ctx.step(func, config=cfg(strategy))

    def h1_15(_event: Any, ctx: Any) -> Any:
        def func(step: Any) -> str:
            if step.attempt < 2:
                raise TransientError("transient failure")
            return "recovered"

        strategy = s.exponential(
            max_attempts=3,
            initial_delay=1,
            jitter="NONE",
            retryable_error_types=[TransientError],
        )
        return ctx.step(func, config=cfg(strategy))

    def h1_16(_event: Any, ctx: Any) -> Any:
        def func(_step: Any) -> str:
            raise TransientError("transient failure, not retried")

        # Only TimeoutError is retryable, so TransientError is not.
        strategy = s.exponential(
            max_attempts=3,
            initial_delay=1,
            jitter="NONE",
            retryable_error_types=[TimeoutError],
        )
        return ctx.step(func, config=cfg(strategy))

    def h1_17(event: Any, ctx: Any) -> Any:
        def at_most_once_flaky_step(step: Any) -> str:
            step.logger.info(f"{event}")
            raise SimulatedLambdaCrash("process.exit during the step")

        return ctx.step(
            at_most_once_flaky_step,
            name="at_most_once_flaky_step",
            config=cfg(s.none(), step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY),
        )

    def h1_18(event: Any, ctx: Any) -> Any:
        def flaky(step: Any) -> str:
            step.logger.info(f"{event}")
            if step.attempt < 2:
                raise SimulatedLambdaCrash("process.exit during the first attempt")
            return "succeeded on second attempt"

        strategy = s.exponential(max_attempts=3, initial_delay=1, jitter="NONE")
        return ctx.step(
            flaky,
            config=cfg(strategy, step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY),
        )

    def h1_19(_event: Any, ctx: Any) -> Any:
        return ctx.step(_always_fail, config=no_retry())

    def h1_20(_event: Any, ctx: Any) -> Any:
        try:
            value = ctx.step(_always_fail, config=no_retry())
        except StepError:
            value = "fallback_result"
        return ctx.step(lambda _s: value, config=default())

    # --- wait suite (2-*): waits only, no retry strategy involved -----------------------------

    def h2_1(_event: Any, ctx: Any) -> Any:
        ctx.wait(Duration.from_seconds(2))
        return None

    def h2_2(_event: Any, ctx: Any) -> Any:
        ctx.wait(Duration.from_seconds(2), name="custom_wait_name")
        return None

    def h2_3(_event: Any, ctx: Any) -> Any:
        ctx.wait(Duration.from_seconds(2), name="wait-1")
        ctx.wait(Duration.from_seconds(2), name="wait-2")
        return {"completedWaits": 2}

    def h2_4(_event: Any, ctx: Any) -> Any:
        ctx.wait(Duration.from_minutes(1))
        return None

    def h2_5(_event: Any, ctx: Any) -> Any:
        ctx.wait(Duration.from_hours(1))
        return None

    # --- child suite (3-*) --------------------------------------------------------------------

    def echo(value: Any) -> Callable[[Any], Any]:
        return lambda child: child.step(lambda _s: value, config=default())

    def h3_1(event: Any, ctx: Any) -> Any:
        return ctx.run_in_child_context(echo(event))

    def h3_2(event: Any, ctx: Any) -> Any:
        return ctx.run_in_child_context(echo(event["value"]), name=event["name"])

    def h3_3(event: Any, ctx: Any) -> Any:
        def body(child: Any) -> Any:
            first = child.step(lambda _s: event, config=default())
            return child.step(lambda _s: first, config=default())

        return ctx.run_in_child_context(body, name="sequential")

    def h3_4(_event: Any, ctx: Any) -> Any:
        def body(child: Any) -> Any:
            return child.step(_always_fail, config=no_retry())

        return ctx.run_in_child_context(body, name="failing_child")

    def h3_5(event: Any, ctx: Any) -> Any:
        def body(child: Any) -> Any:
            return child.step(_always_fail, config=no_retry())

        try:
            ctx.run_in_child_context(body)
        except ChildContextError:
            pass
        return ctx.step(lambda _s: event, config=default())

    def h3_6(event: Any, ctx: Any) -> Any:
        def outer(child: Any) -> Any:
            child.step(lambda _s: event, config=default())
            return child.run_in_child_context(echo(event), name="inner")

        return ctx.run_in_child_context(outer, name="outer")

    def h3_7(event: Any, ctx: Any) -> Any:
        def body(child: Any) -> Any:
            def unreliable(step: Any) -> Any:
                if step.attempt < 2:
                    raise RuntimeError("first attempt fails")
                return event

            return child.step(unreliable, config=one_second(3))

        return ctx.run_in_child_context(body, name="retrying_child")

    def h3_8(_event: Any, ctx: Any) -> Any:
        def body(child: Any) -> Any:
            return child.step(_always_fail, config=one_second(2))

        return ctx.run_in_child_context(body, name="exhausted_child")

    def h3_9(event: Any, ctx: Any) -> Any:
        value = ctx.run_in_child_context(echo(event), name="cached_child")
        ctx.wait(Duration.from_seconds(1))
        return value

    def h3_10(event: Any, ctx: Any) -> Any:
        def body(child: Any) -> Any:
            value = child.step(lambda _s: event, config=default())
            child.wait(Duration.from_seconds(1))
            return value

        return ctx.run_in_child_context(body, name="step_and_wait")

    def h3_11(event: Any, ctx: Any) -> Any:
        def body(child: Any) -> Any:
            child.logger.info(f"child context input: {event}")
            small = child.step(lambda _s: event, config=default())
            return small * (300 * 1024 // max(len(small), 1) + 1)  # over 256 KiB

        replay_logging(ctx)  # type: ignore[misc]
        value = ctx.run_in_child_context(body, name="large_child")
        ctx.wait(Duration.from_seconds(1))
        return len(value)

    def h3_12(event: Any, ctx: Any) -> Any:
        def body(child: Any) -> Any:
            def crashing(_step: Any) -> Any:
                if event not in crashed:
                    crashed.add(event)
                    time.sleep(
                        0.5
                    )  # the SDKs send START within 0.1 s while the step runs
                    raise SimulatedLambdaCrash("process.exit inside the child's step")
                return event

            return child.step(crashing, config=default())

        return ctx.run_in_child_context(body)

    def h3_13(event: Any, ctx: Any) -> Any:
        def body(child: Any) -> Any:
            child.wait(Duration.from_seconds(1))
            return event

        value = ctx.run_in_child_context(body, name="waiting_child")
        return ctx.step(lambda _s: value, config=default())

    def h3_14(event: Any, ctx: Any) -> Any:
        return ctx.run_in_child_context(
            echo(event), name="serdes_child", config=ChildConfig(serdes=UppercaseText())
        )

    def h3_15(_event: Any, ctx: Any) -> Any:
        def body(_child: Any) -> Any:
            raise RuntimeError("thrown directly in the child")

        return ctx.run_in_child_context(body, name="throwing_child")

    def h3_16(_event: Any, ctx: Any) -> Any:
        return ctx.run_in_child_context(lambda _child: None, name="null_child")

    def h3_17(event: Any, ctx: Any) -> Any:
        def body(child: Any) -> Any:
            child.logger.info(f"child context input: {event}")
            return event

        replay_logging(ctx)  # type: ignore[misc]
        value = ctx.run_in_child_context(body, name="logging_child")
        ctx.wait(Duration.from_seconds(1))
        return value

    def h3_18(event: Any, ctx: Any) -> Any:
        def body(child: Any) -> Any:
            value = child.step(lambda _s: event, config=default())
            child.wait(Duration.from_seconds(1))
            return value

        value = ctx.run_in_child_context(body, name="first_child")
        value = ctx.step(lambda _s: value, config=default())
        ctx.wait(Duration.from_seconds(1))
        return value

    found = {
        name[1:].replace("_", "-"): fn
        for name, fn in locals().items()
        if name.startswith("h") and name[1:2].isdigit()
    }
    if replay_logging is None:
        for needs_replay_logging in ("3-11", "3-17"):
            del found[needs_replay_logging]
    return found


SUITE_OF = {"1": "step", "2": "wait", "3": "child"}
