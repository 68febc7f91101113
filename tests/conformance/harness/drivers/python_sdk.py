"""Driver ``python-sdk``: handlers on aws-durable-execution-sdk-python 3.0.0, run by
aws-durable-execution-sdk-python-testing 1.4.0's ``DurableFunctionTestRunner`` (in process,
skip-time), with every step's retries decided by durable-core (``durable_core.aws.retry_strategy``,
profile ``python``) or, for the control run, by the SDK's own strategy configured identically.

Each handler implements the requirement's ``handler``/``invocations`` prose; they are written in
``harness.handlers_python`` (shared with ``core-python``, which imports the same source from
``durable_core.sdk``), not taken from the upstream conformance handlers. Attempt-dependent behaviour reads
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
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

from aws_durable_execution_sdk_python.execution import durable_execution
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner

from ..handlers_python import (
    Api,
    ApiStrategies,
    CoreStrategies,
    SimulatedLambdaCrash,
    handlers,
)
from . import Case, Driver, NotImplementedCase, Outcome

RUN_TIMEOUT_SECONDS = 120
# The runner and the SDK log every handled step error with a traceback; the harness reports
# failures itself.
for _name in (
    "aws_durable_execution_sdk_python",
    "aws_durable_execution_sdk_python_testing",
):
    logging.getLogger(_name).setLevel(logging.CRITICAL + 1)

# The global random generator is shared by the SDK's jitter and durable-core's draws; runs on the
# caller's thread are serialised, and a run whose strategy jitters (JITTERED) also waits for the
# background crash runs, so a seeded run sees only its own draws.
_RUN_LOCK = threading.Lock()
_state_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_background: dict[str, Future] = {}
CRASH_CASES = frozenset({"1-17", "1-18", "3-12"})
JITTERED = frozenset(
    {"1-13"}
)  # the only handler whose steps fail under a jittered strategy


# --- handlers: harness.handlers_python, on the SDK's own package -----------------------------------

SDK_API = Api.of("aws_durable_execution_sdk_python")


class LambdaRuntimeExit(Exception):
    """What the Lambda-level wrapper raises to the runner for a crashed invocation."""


def _handlers(strategies: CoreStrategies | ApiStrategies) -> dict[str, Any]:
    # The Python SDK has no switch for logging during replay, which 3-11 and 3-17 ask for.
    return handlers(SDK_API, strategies)


HANDLED = frozenset(_handlers(ApiStrategies(SDK_API)))
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
    records = sorted(
        runner._store.load(arn).invocation_completions, key=lambda r: r.end_timestamp
    )
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
    strategies = (
        CoreStrategies() if case.strategy == "durable-core" else ApiStrategies(SDK_API)
    )
    body = _handlers(strategies)[case.id]
    durable_handler = durable_execution(body)
    facts: dict[str, Any] = {
        "invocations": 0,
        "crashed_invocations": 0,
        "crashed_at": [],
    }

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
        arn = runner.run_async(
            input=json.dumps(case.input), execution_timeout=RUN_TIMEOUT_SECONDS
        )
        result = runner.wait_for_result(arn, timeout=RUN_TIMEOUT_SECONDS)
        page = runner.get_execution_history(arn, include_execution_data=True)
        if page.next_marker is not None:
            raise RuntimeError(
                "history longer than one page; the harness does not page yet"
            )
        events = [_service_json(e.to_dict()) for e in page.events]
        normalisations = []
        if restore_invocation_details and _restore_invocation_details(
            events, runner, arn
        ):
            normalisations.append("python-invocation-details-restored")
    status = (
        result.execution_status.value if result.execution_status is not None else None
    )
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
        raise NotImplementedCase(
            f"no python-sdk handler for {case.id} (suite {case.suite})"
        )
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
