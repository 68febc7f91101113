"""Driver ``python-sdk``: handlers on aws-durable-execution-sdk-python 3.0.0, run by
aws-durable-execution-sdk-python-testing 1.4.0's ``DurableFunctionTestRunner`` (in process,
skip-time), with every step's retries decided by durable-core (``durable_core.aws.retry_strategy``,
profile ``python``) or, for the control run, by the SDK's own strategy configured identically.

Each handler implements the requirement's ``handler``/``invocations`` prose; they are written
here, not taken from the upstream conformance handlers. Attempt-dependent behaviour reads
``StepContext.attempt`` (the SDK's own attempt number), so no store outlives an invocation.

A Lambda crash (1-17, 1-18) is a ``BaseException`` raised inside the step: the SDK only catches
``Exception``, so it leaves the invocation without a checkpoint, as ``os._exit`` would; the
Lambda-level wrapper turns it into the failed invocation the runner re-invokes (after the runner's
real-time 5 s back-off).
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

import durable_core
from aws_durable_execution_sdk_python.config import (
    Duration,
    JitterStrategy,
    StepConfig,
    StepSemantics,
)
from aws_durable_execution_sdk_python.context import DurableContext
from aws_durable_execution_sdk_python.exceptions import StepError
from aws_durable_execution_sdk_python.execution import durable_execution
from aws_durable_execution_sdk_python.retries import (
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
)
from aws_durable_execution_sdk_python.serdes import SerDes
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner
from durable_core import retry as core_retry

from . import Case, Driver, NotImplementedCase, Outcome

RUN_TIMEOUT_SECONDS = 120
# The runner and the SDK log every handled step error with a traceback; the harness reports
# failures itself.
for _name in ("aws_durable_execution_sdk_python", "aws_durable_execution_sdk_python_testing"):
    logging.getLogger(_name).setLevel(logging.CRITICAL + 1)

# The global random generator is shared by the SDK's jitter and durable-core's draws; runs on the
# caller's thread are serialised, and a run whose strategy jitters (JITTERED) also waits for the
# background crash runs, so a seeded run sees only its own draws.
_RUN_LOCK = threading.Lock()
_state_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_background: dict[str, Future] = {}
CRASH_CASES = frozenset({"1-17", "1-18"})
JITTERED = frozenset({"1-13"})  # the only handler whose steps fail under a jittered strategy


# --- the two strategy providers ------------------------------------------------------------------


class CoreStrategies:
    """durable-core's strategies, as ``StepConfig(retry_strategy=...)`` callables."""

    name = "durable-core"

    def _wrap(self, config: Any) -> Callable:
        return durable_core.aws.retry_strategy(config, profile="python")

    def default(self) -> Callable | None:
        return self._wrap(core_retry.preset("default"))

    def none(self) -> Callable:
        return self._wrap(core_retry.preset("none"))

    def exponential(self, **config: Any) -> Callable:
        return self._wrap(core_retry.exponential(**config))


class SdkStrategies:
    """The SDK's own strategies with the same configuration."""

    name = "sdk"

    def default(self) -> Callable | None:
        return None  # StepConfig without a strategy: the SDK's default

    def none(self) -> Callable:
        return RetryPresets.none()

    def exponential(
        self,
        *,
        max_attempts: int,
        initial_delay: float,
        backoff_rate: float | None = None,
        jitter: str,
        retryable_error_types: list[type[Exception]] | None = None,
    ) -> Callable:
        config = RetryStrategyConfig(
            max_attempts=max_attempts,
            initial_delay=Duration.from_seconds(initial_delay),
            jitter_strategy=JitterStrategy[jitter],
            retryable_error_types=retryable_error_types,
        )
        if backoff_rate is not None:
            config.backoff_rate = backoff_rate
        return create_retry_strategy(config)


# --- handlers ------------------------------------------------------------------------------------


class TransientError(Exception):
    pass


class SimulatedLambdaCrash(BaseException):
    """Ends the invocation from inside a step with no checkpoint, like ``os._exit``."""


class LambdaRuntimeExit(Exception):
    """What the Lambda-level wrapper raises to the runner for a crashed invocation."""


class UppercaseSerDes(SerDes):
    """Serialises strings upper-cased (1-6)."""

    def serialize(self, value: Any, _context: Any) -> str:
        return json.dumps(value.upper() if isinstance(value, str) else value)

    def deserialize(self, data: str, _context: Any) -> Any:
        return json.loads(data)


def _always_fail(_step: Any) -> Any:
    raise RuntimeError("step always fails")


def _handlers(s: CoreStrategies | SdkStrategies) -> dict[str, Callable[[Any, DurableContext], Any]]:
    """Requirement id -> the durable handler body, with strategies from ``s``."""

    def cfg(strategy: Callable | None = None, **extra: Any) -> StepConfig:
        return StepConfig(retry_strategy=strategy, **extra)

    def default() -> StepConfig:
        return cfg(s.default())

    def h1_1(event: Any, ctx: DurableContext) -> Any:
        return ctx.step(lambda _s: f"Hello, {event}!", config=default())

    def h1_2(event: Any, ctx: DurableContext) -> Any:
        return ctx.step(lambda _s: f"Hello, {event}!", name="custom_step_name", config=default())

    def h1_3(_event: Any, ctx: DurableContext) -> Any:
        first = ctx.step(lambda _s: "first", config=default())
        return ctx.step(lambda _s: f"{first}_second", config=default())

    def h1_4(event: Any, ctx: DurableContext) -> Any:
        def build_response(_s: Any) -> dict:
            return {
                "user": {"name": event["name"], "tags": list(event["tags"])},
                "count": len(event["tags"]),
            }

        return ctx.step(build_response, config=default())

    def h1_5(_event: Any, ctx: DurableContext) -> Any:
        return ctx.step(lambda _s: None, config=default())

    def h1_6(event: Any, ctx: DurableContext) -> Any:
        return ctx.step(lambda _s: event, config=cfg(s.default(), serdes=UppercaseSerDes()))

    def h1_7(event: Any, ctx: DurableContext) -> Any:
        def greet(step: Any) -> str:
            step.logger.info(f"Greeting step started for: {event}")
            greeting = f"Hello, {event}!"
            step.logger.info(f"Greeting step completed with: {greeting}")
            return greeting

        return ctx.step(greet, config=default())

    def h1_8(_event: Any, ctx: DurableContext) -> Any:
        value = ctx.step(lambda _s: "computed", config=default())
        ctx.wait(Duration.from_seconds(2))
        return value

    def h1_9(_event: Any, ctx: DurableContext) -> Any:
        def func(step: Any) -> str:
            step.logger.info("step executed")
            return "cached_value"

        value = ctx.step(func, config=default())
        ctx.wait(Duration.from_seconds(1))
        return value

    def h1_10(_event: Any, ctx: DurableContext) -> Any:
        def func(step: Any) -> Any:
            step.logger.info("step executed")
            raise RuntimeError("permanent failure")

        outcome = "step succeeded"
        try:
            ctx.step(func, config=cfg(s.none()))
        except StepError:  # the requirement catches the step's error and goes on
            outcome = "handled"
        ctx.wait(Duration.from_seconds(1))
        return outcome

    def h1_11(_event: Any, ctx: DurableContext) -> Any:
        def unreliable(step: Any) -> str:
            if step.attempt < 2:
                raise RuntimeError("first attempt fails")
            return "Operation succeeded"

        strategy = s.exponential(max_attempts=3, initial_delay=1, jitter="NONE")
        return ctx.step(unreliable, config=cfg(strategy))

    def h1_12(_event: Any, ctx: DurableContext) -> Any:
        strategy = s.exponential(max_attempts=4, initial_delay=1, backoff_rate=1, jitter="NONE")
        return ctx.step(_always_fail, config=cfg(strategy))

    def h1_13(_event: Any, ctx: DurableContext) -> Any:
        def unreliable(step: Any) -> str:
            if step.attempt < 3:
                raise RuntimeError(f"attempt {step.attempt} fails")
            return "succeeded on third attempt"

        return ctx.step(unreliable, config=default())

    def h1_14(_event: Any, ctx: DurableContext) -> Any:
        def func(step: Any) -> str:
            if step.attempt < 3:
                raise RuntimeError(f"attempt {step.attempt} fails")
            return "succeeded after backoff"

        strategy = s.exponential(max_attempts=5, initial_delay=2, backoff_rate=3, jitter="NONE")
        return ctx.step(func, config=cfg(strategy))

    def h1_15(_event: Any, ctx: DurableContext) -> Any:
        def func(step: Any) -> str:
            if step.attempt < 2:
                raise TransientError("transient failure")
            return "recovered"

        strategy = s.exponential(
            max_attempts=3, initial_delay=1, jitter="NONE", retryable_error_types=[TransientError]
        )
        return ctx.step(func, config=cfg(strategy))

    def h1_16(_event: Any, ctx: DurableContext) -> Any:
        def func(_step: Any) -> str:
            raise TransientError("transient failure, not retried")

        # Only TimeoutError is retryable, so TransientError is not.
        strategy = s.exponential(
            max_attempts=3, initial_delay=1, jitter="NONE", retryable_error_types=[TimeoutError]
        )
        return ctx.step(func, config=cfg(strategy))

    def h1_17(event: Any, ctx: DurableContext) -> Any:
        def at_most_once_flaky_step(step: Any) -> str:
            step.logger.info(f"{event}")
            raise SimulatedLambdaCrash("process.exit during the step")

        return ctx.step(
            at_most_once_flaky_step,
            name="at_most_once_flaky_step",
            config=cfg(s.none(), step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY),
        )

    def h1_18(event: Any, ctx: DurableContext) -> Any:
        def flaky(step: Any) -> str:
            step.logger.info(f"{event}")
            if step.attempt < 2:
                raise SimulatedLambdaCrash("process.exit during the first attempt")
            return "succeeded on second attempt"

        strategy = s.exponential(max_attempts=3, initial_delay=1, jitter="NONE")
        return ctx.step(
            flaky, config=cfg(strategy, step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)
        )

    def h1_19(_event: Any, ctx: DurableContext) -> Any:
        return ctx.step(_always_fail, config=cfg(s.none()))

    def h1_20(_event: Any, ctx: DurableContext) -> Any:
        try:
            value = ctx.step(_always_fail, config=cfg(s.none()))
        except StepError:
            value = "fallback_result"
        return ctx.step(lambda _s: value, config=default())

    # Wait suite: waits only (no step, so no retry strategy is involved).
    def h2_1(_event: Any, ctx: DurableContext) -> Any:
        ctx.wait(Duration.from_seconds(2))
        return None

    def h2_2(_event: Any, ctx: DurableContext) -> Any:
        ctx.wait(Duration.from_seconds(2), name="custom_wait_name")
        return None

    def h2_3(_event: Any, ctx: DurableContext) -> Any:
        ctx.wait(Duration.from_seconds(2), name="wait-1")
        ctx.wait(Duration.from_seconds(2), name="wait-2")
        return {"completedWaits": 2}

    def h2_4(_event: Any, ctx: DurableContext) -> Any:
        ctx.wait(Duration.from_minutes(1))
        return None

    def h2_5(_event: Any, ctx: DurableContext) -> Any:
        ctx.wait(Duration.from_hours(1))
        return None

    return {
        name[1:].replace("_", "-"): fn
        for name, fn in locals().items()
        if name.startswith("h") and name[1:2].isdigit()
    }


HANDLED = frozenset(_handlers(SdkStrategies()))
USES_RETRY_STRATEGY_SUITES = frozenset({"step"})


# --- running one case ----------------------------------------------------------------------------


def _service_json(value: Any) -> Any:
    """The runner's ``Event.to_dict()`` values, as JSON would carry them."""
    if isinstance(value, dict):
        return {k: _service_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_service_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _restore_invocation_details(
    events: list[dict], runner: DurableFunctionTestRunner, arn: str
) -> bool:
    """The runner drops ``InvocationCompletedDetails`` when it renumbers events
    (``HistoryEvent.from_event_with_id`` copies every details field but that one), although it
    recorded them (``Execution.invocation_completions``). Put the recorded details back on the
    InvocationCompleted events, pairing them in order and only if every end timestamp equals the
    event's timestamp; otherwise leave the history as the runner returned it."""
    completed = [e for e in events if e.get("EventType") == "InvocationCompleted"]
    if not completed or all("InvocationCompletedDetails" in e for e in completed):
        return False
    records = sorted(runner._store.load(arn).invocation_completions, key=lambda r: r.end_timestamp)
    if len(records) != len(completed):
        return False
    if any(
        r.end_timestamp.isoformat() != e["EventTimestamp"]
        for r, e in zip(records, completed, strict=True)
    ):
        return False
    for record, event in zip(records, completed, strict=True):
        event["InvocationCompletedDetails"] = _service_json(record.to_dict())
    return True


def _run(case: Case, restore_invocation_details: bool, seeded: bool) -> Outcome:
    strategies = CoreStrategies() if case.strategy == "durable-core" else SdkStrategies()
    body = _handlers(strategies)[case.id]
    durable_handler = durable_execution(body)
    facts: dict[str, Any] = {"invocations": 0, "crashed_invocations": 0, "crashed_at": []}

    def lambda_handler(event: Any, lambda_context: Any) -> Any:
        facts["invocations"] += 1
        try:
            return durable_handler(event, lambda_context)
        except SimulatedLambdaCrash as crash:
            facts["crashed_invocations"] += 1
            facts["crashed_at"].append(facts["invocations"])
            raise LambdaRuntimeExit(f"Runtime.ExitError: {crash}") from None

    if seeded:
        random.seed(case.seed)
    with DurableFunctionTestRunner(lambda_handler, skip_time=True) as runner:
        arn = runner.run_async(input=json.dumps(case.input), execution_timeout=RUN_TIMEOUT_SECONDS)
        result = runner.wait_for_result(arn, timeout=RUN_TIMEOUT_SECONDS)
        page = runner.get_execution_history(arn, include_execution_data=True)
        if page.next_marker is not None:
            raise RuntimeError("history longer than one page; the harness does not page yet")
        events = [_service_json(e.to_dict()) for e in page.events]
        normalisations = []
        if restore_invocation_details and _restore_invocation_details(events, runner, arn):
            normalisations.append("python-invocation-details-restored")
    status = result.execution_status.value if result.execution_status is not None else None
    return Outcome(
        events=events,
        status=status,
        result=result.result if status == "SUCCEEDED" else None,
        facts=facts,
        normalisations=normalisations,
    )


def _restore_default() -> bool:
    return os.environ.get("CONFORMANCE_PYTHON_RAW_HISTORY") != "1"


def prepare(cases: Sequence[Case]) -> None:
    """Start the crash cases at once, in parallel: each spends the runner's real-time 5 s back-off
    before its re-invocation. Their strategies draw no jitter that matters, but durable-core draws
    from the shared generator on every decision, so a seeded (jittered) case waits for them."""
    global _pool
    crash_cases = [c for c in cases if c.id in CRASH_CASES and c.id in HANDLED]
    if not crash_cases:
        return
    restore = _restore_default()
    with _state_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=len(crash_cases), thread_name_prefix="python-sdk-crash"
            )
        for case in crash_cases:
            _background[_key(case)] = _pool.submit(_run, case, restore, False)


def run(case: Case) -> Outcome:
    if case.id not in HANDLED:
        raise NotImplementedCase(f"no python-sdk handler for {case.id} (suite {case.suite})")
    with _state_lock:
        future = _background.get(_key(case))
        pending = list(_background.values())
    if future is not None:
        return future.result(timeout=RUN_TIMEOUT_SECONDS)
    if case.id in JITTERED:
        wait(pending)
    with _RUN_LOCK:
        return _run(case, _restore_default(), True)


def close() -> None:
    global _pool
    with _state_lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None
        _background.clear()


def _key(case: Case) -> str:
    return f"{case.id}/{case.strategy}/{case.seed}"


DRIVER = Driver(
    name="python-sdk",
    description="aws-durable-execution-sdk-python 3.0.0 on DurableFunctionTestRunner "
    "(testing 1.4.0, skip-time), retries by durable-core (profile python)",
    run=run,
    runner="aws-durable-execution-sdk-python-testing 1.4.0",
    prepare=prepare,
    close=close,
    rank=10,
)
