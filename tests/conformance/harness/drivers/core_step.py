"""Driver ``core-step``: durable-core's own step driver, no SDK. Each requirement's handler runs
its steps with ``durable_core.Invocation.step`` (``run_step``: every decision from the core's
``step.begin``/``step.complete``), talking to the Python testing SDK's local HTTP service
(``dex-local-runner start-server``, aws-durable-execution-sdk-python-testing 1.4.0) through
``durable_core.service.LambdaServiceClient`` over a botocore ``lambda`` client. The service invokes
the handlers through a Lambda-compatible endpoint in this process (``harness.local_service``).

Profile ``python`` throughout: operation ids are ``step.operation_id("python", None, n)`` for the
n-th root operation, the updates are the Python SDK's wire, errors are described as the Python SDK
describes them and retry strategies are ``retry.Strategy(config, profile="python")``. A step with
no configured strategy passes ``strategy=None``: the core's own default (the ``default`` preset).

There is no SDK here, so there is no control run (``strategies=("durable-core",)``): a failure is
excused only when a documented deviation of the Python runner is detected and the history with it
undone passes the official matcher (see judging.py).

The handler layer is ``Durable`` (one invocation: numbered root steps) and the wrapper ``_lambda``
(the Lambda entry point: invocation input in, the durable invocation output out:
``{"Status": "SUCCEEDED", "Result": ...}``, ``FAILED`` with ``Error``, or ``PENDING`` when the core
suspends). A Lambda crash (1-17, 1-18) is a ``BaseException`` raised in the step function:
``run_step`` lets it through without any update, and the endpoint answers with an Unhandled
``Runtime.ExitError`` function error, which the service re-invokes after its 5 s back-off.

Requirements that need an operation other than STEP (a wait: 1-8, 1-9, 1-10 and the wait suite)
are NOT_IMPLEMENTED: the core implements only the step state machine.

Every execution is started in ``prepare``, all at once, so they run in parallel with each other
and with the other drivers (the crash cases' 5 s back-off is paid once); ``run`` only waits for its
execution and reads what the service recorded.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.config import Config
from durable_core import (
    CheckpointFailed,
    FailExecutionError,
    Invocation,
    Semantics,
    StepCall,
    StepError,
    SuspendExecution,
    retry,
    step,
)
from durable_core.service import LambdaServiceClient

from .. import local_service
from . import Case, Driver, NotImplementedCase, Outcome

PROFILE = "python"
RUNNER = "aws-durable-execution-sdk-python-testing 1.4.0"
RUN_TIMEOUT_SECONDS = 120
WAIT_REASON = (
    "needs a WAIT operation (context.wait); durable-core implements only the STEP operation "
    "(step.begin/step.complete, run_step), so its driver cannot write the WAIT updates"
)

# --- the handler layer ---------------------------------------------------------------------------


class TransientError(Exception):
    pass


class SimulatedCrash(BaseException):
    """Ends the invocation from inside a step with no update, as a process exit would:
    ``run_step`` only handles ``Exception``."""


class Durable:
    """One invocation of a durable handler: root steps numbered in call order, each run by
    durable-core's driver with the Python profile."""

    def __init__(
        self, invocation: Invocation, draw: Callable[[], float], log: Callable[[str], None]
    ) -> None:
        self.invocation = invocation
        self._draw = draw
        self._counter = 0
        self.log = log

    def step(
        self,
        fn: Callable[[int], Any],
        *,
        name: str | None = None,
        strategy: retry.Strategy | None = None,
        semantics: Semantics = Semantics.AT_LEAST_ONCE_PER_RETRY,
        serialize: Callable[[Any], str | None] = json.dumps,
        deserialize: Callable[[str], Any] = json.loads,
    ) -> Any:
        self._counter += 1
        op = step.operation_id(PROFILE, None, self._counter)
        call = StepCall(id=op.id, name=name, semantics=semantics, profile=PROFILE)
        return self.invocation.step(
            call,
            fn,
            strategy=strategy,
            serialize=serialize,
            deserialize=deserialize,
            # One draw per step call, from the case's seeded generator: the jitter of the
            # decision this call makes (at most one per call).
            random=self._draw(),
        )


class Strategies:
    """durable-core strategies with the Python profile; ``None`` is the core's default."""

    @staticmethod
    def none() -> retry.Strategy:
        return retry.Strategy(retry.preset("none"), profile=PROFILE)

    @staticmethod
    def exponential(**config: Any) -> retry.Strategy:
        return retry.Strategy(retry.exponential(**config), profile=PROFILE)


def _always_fail(_attempt: int) -> Any:
    raise RuntimeError("step always fails")


def _uppercase(value: Any) -> str:
    return json.dumps(value.upper() if isinstance(value, str) else value)


Body = Callable[[Any, Durable], Any]


def _handlers(s: type[Strategies]) -> dict[str, Body]:
    """Requirement id -> handler body, written from the requirement's handler/invocations prose.
    Strategies are built when the body runs (the core compiles them per invocation)."""

    def h1_1(event: Any, ctx: Durable) -> Any:
        return ctx.step(lambda _a: f"Hello, {event}!")

    def h1_2(event: Any, ctx: Durable) -> Any:
        return ctx.step(lambda _a: f"Hello, {event}!", name="custom_step_name")

    def h1_3(_event: Any, ctx: Durable) -> Any:
        first = ctx.step(lambda _a: "first")
        return ctx.step(lambda _a: f"{first}_second")

    def h1_4(event: Any, ctx: Durable) -> Any:
        def build_response(_a: int) -> dict:
            return {
                "user": {"name": event["name"], "tags": list(event["tags"])},
                "count": len(event["tags"]),
            }

        return ctx.step(build_response)

    def h1_5(_event: Any, ctx: Durable) -> Any:
        return ctx.step(lambda _a: None)

    def h1_6(event: Any, ctx: Durable) -> Any:
        return ctx.step(lambda _a: event, serialize=_uppercase)

    def h1_7(event: Any, ctx: Durable) -> Any:
        def greet(_a: int) -> str:
            ctx.log(f"Greeting step started for: {event}")
            greeting = f"Hello, {event}!"
            ctx.log(f"Greeting step completed with: {greeting}")
            return greeting

        return ctx.step(greet)

    def h1_11(_event: Any, ctx: Durable) -> Any:
        def unreliable(attempt: int) -> str:
            if attempt < 2:
                raise RuntimeError("first attempt fails")
            return "Operation succeeded"

        strategy = s.exponential(max_attempts=3, initial_delay=1, jitter="NONE")
        return ctx.step(unreliable, strategy=strategy)

    def h1_12(_event: Any, ctx: Durable) -> Any:
        strategy = s.exponential(max_attempts=4, initial_delay=1, backoff_rate=1, jitter="NONE")
        return ctx.step(_always_fail, strategy=strategy)

    def h1_13(_event: Any, ctx: Durable) -> Any:
        def unreliable(attempt: int) -> str:
            if attempt < 3:
                raise RuntimeError(f"attempt {attempt} fails")
            return "succeeded on third attempt"

        return ctx.step(unreliable)  # no strategy: the core's default

    def h1_14(_event: Any, ctx: Durable) -> Any:
        def func(attempt: int) -> str:
            if attempt < 3:
                raise RuntimeError(f"attempt {attempt} fails")
            return "succeeded after backoff"

        strategy = s.exponential(max_attempts=5, initial_delay=2, backoff_rate=3, jitter="NONE")
        return ctx.step(func, strategy=strategy)

    def h1_15(_event: Any, ctx: Durable) -> Any:
        def func(attempt: int) -> str:
            if attempt < 2:
                raise TransientError("transient failure")
            return "recovered"

        strategy = s.exponential(
            max_attempts=3, initial_delay=1, jitter="NONE", retryable_error_types=[TransientError]
        )
        return ctx.step(func, strategy=strategy)

    def h1_16(_event: Any, ctx: Durable) -> Any:
        def func(_a: int) -> str:
            raise TransientError("transient failure, not retried")

        # Only TimeoutError is retryable, so TransientError is not.
        strategy = s.exponential(
            max_attempts=3, initial_delay=1, jitter="NONE", retryable_error_types=[TimeoutError]
        )
        return ctx.step(func, strategy=strategy)

    def h1_17(event: Any, ctx: Durable) -> Any:
        def at_most_once_flaky_step(_a: int) -> str:
            ctx.log(f"{event}")
            raise SimulatedCrash("process exit during the step")

        return ctx.step(
            at_most_once_flaky_step,
            name="at_most_once_flaky_step",
            strategy=s.none(),
            semantics=Semantics.AT_MOST_ONCE_PER_RETRY,
        )

    def h1_18(event: Any, ctx: Durable) -> Any:
        def flaky(attempt: int) -> str:
            ctx.log(f"{event}")
            if attempt < 2:
                raise SimulatedCrash("process exit during the first attempt")
            return "succeeded on second attempt"

        strategy = s.exponential(max_attempts=3, initial_delay=1, jitter="NONE")
        return ctx.step(flaky, strategy=strategy, semantics=Semantics.AT_MOST_ONCE_PER_RETRY)

    def h1_19(_event: Any, ctx: Durable) -> Any:
        return ctx.step(_always_fail, strategy=s.none())

    def h1_20(_event: Any, ctx: Durable) -> Any:
        try:
            value = ctx.step(_always_fail, strategy=s.none())
        except StepError:
            value = "fallback_result"
        return ctx.step(lambda _a: value)

    return {
        name[1:].replace("_", "-"): fn
        for name, fn in locals().items()
        if name.startswith("h") and name[1:2].isdigit()
    }


HANDLERS = _handlers(Strategies)
NEEDS_WAIT = frozenset({"1-8", "1-9", "1-10"})


def not_implemented_reason(case: Case) -> str | None:
    if case.id in HANDLERS:
        return None
    if case.id in NEEDS_WAIT or case.suite == "wait":
        return f"{case.id} {WAIT_REASON}"
    return f"no core-step handler for {case.id} (suite {case.suite})"


# --- the Lambda entry point ----------------------------------------------------------------------


def _execution_input(invocation: Invocation) -> Any:
    """The execution's input, from the EXECUTION operation of the invocation input."""
    for op in invocation.operations.values():
        if op.get("Type") == "EXECUTION":
            payload = (op.get("ExecutionDetails") or {}).get("InputPayload")
            return None if payload is None else json.loads(payload)
    raise RuntimeError("the invocation input has no EXECUTION operation")


def _error_output(error_type: str | None, message: str | None, data: str | None = None) -> dict:
    error: dict[str, Any] = {"ErrorType": error_type or "Error", "ErrorMessage": message or ""}
    if data is not None:
        error["ErrorData"] = data
    return {"Status": "FAILED", "Error": error}


@dataclass
class _Execution:
    case: Case
    function: str
    facts: dict[str, Any] = field(
        default_factory=lambda: {
            "profile": PROFILE,
            "invocations": 0,
            "crashed_invocations": 0,
            "crashed_at": [],
            "outputs": [],
            "logs": [],
        }
    )
    arn: str | None = None
    start_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _lambda(
    execution: _Execution, body: Body, client: LambdaServiceClient
) -> Callable[[Any], dict]:
    rng = random.Random(execution.case.seed)
    facts = execution.facts

    def handle(event: Any) -> dict:
        with execution.lock:  # one invocation of an execution at a time, as the service does
            facts["invocations"] += 1
            ordinal = facts["invocations"]
            try:
                invocation = Invocation.from_event(client, event, profile=PROFILE)
                ctx = Durable(invocation, rng.random, facts["logs"].append)
                result = body(_execution_input(invocation), ctx)
            except SimulatedCrash as crash:
                facts["crashed_invocations"] += 1
                facts["crashed_at"].append(ordinal)
                facts["outputs"].append("crashed (Runtime.ExitError)")
                raise local_service.FunctionCrashed(
                    "Runtime.ExitError", f"simulated crash: {crash}"
                ) from None
            except SuspendExecution:
                output: dict[str, Any] = {"Status": "PENDING"}
            except StepError as failed:
                output = _error_output(failed.error_class, failed.message, failed.data)
            except FailExecutionError as failed:
                output = _error_output(failed.error.error_type, failed.error.message)
            except CheckpointFailed as failed:
                facts.setdefault("handler_errors", []).append(f"{ordinal}: {failed}")
                if failed.retryable:  # INVOCATION: fail the invocation, Lambda retries it
                    facts["outputs"].append("invocation failed (retryable checkpoint error)")
                    raise local_service.FunctionCrashed("CheckpointFailed", str(failed)) from None
                output = _error_output("CheckpointFailed", str(failed))
            except Exception as error:  # a handler or driver defect: the case will show it
                facts.setdefault("handler_errors", []).append(
                    f"{ordinal}: {type(error).__name__}: {error}"
                )
                output = _error_output(type(error).__name__, str(error))
            else:
                output = {"Status": "SUCCEEDED", "Result": json.dumps(result)}
            facts["outputs"].append(output["Status"])
            return output

    return handle


# --- the driver ----------------------------------------------------------------------------------

_state_lock = threading.Lock()
_executions: dict[str, _Execution] = {}
_service: local_service.LocalService | None = None
_prepare_error: str | None = None


def _key(case: Case) -> str:
    return f"{case.id}/{case.strategy}/{case.seed}"


def _botocore_lambda(endpoint: str) -> Any:
    return botocore.session.get_session().create_client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        config=Config(
            retries={"max_attempts": 0},
            connect_timeout=5,
            read_timeout=30,
            max_pool_connections=64,
        ),
    )


def prepare(cases: Sequence[Case]) -> None:
    """Start the service and every execution this driver can run, at once."""
    global _service, _prepare_error
    runnable = [c for c in cases if not_implemented_reason(c) is None]
    if not runnable:
        return
    with _state_lock:
        if _service is None:
            try:
                _service, _ = local_service.acquire()
            except Exception as error:  # every case of this driver then FAILS with it
                _prepare_error = f"{type(error).__name__}: {error}"
                return
        service = _service
    endpoint = local_service.acquire_endpoint()
    client = LambdaServiceClient(_botocore_lambda(service.url))
    for case in runnable:
        function = f"core-step-{case.id}-{uuid.uuid4().hex[:10]}"
        execution = _Execution(case, function)
        endpoint.handlers[function] = _lambda(execution, HANDLERS[case.id], client)
        with _state_lock:
            _executions[_key(case)] = execution
        try:
            execution.arn = service.start(function, case.input, timeout_seconds=RUN_TIMEOUT_SECONDS)
        except Exception as error:
            execution.start_error = f"{type(error).__name__}: {error}"


def run(case: Case) -> Outcome:
    reason = not_implemented_reason(case)
    if reason is not None:
        raise NotImplementedCase(reason)
    if case.strategy != "durable-core":
        raise NotImplementedCase("core-step has no SDK strategy: it runs durable-core only")
    with _state_lock:
        execution = _executions.get(_key(case))
        service = _service
    if execution is None or service is None:
        prepare([case])
        with _state_lock:
            execution = _executions.get(_key(case))
            service = _service
    if execution is None or service is None:
        raise RuntimeError(f"the local service could not be started: {_prepare_error}")
    if execution.arn is None:
        raise RuntimeError(f"StartDurableExecution failed: {execution.start_error}")
    described = wait_finished(service, execution.arn, f"facts {execution.facts}")
    status = described.get("Status")
    events, normalisations, recorded = read_history(service, execution.arn)
    with execution.lock:
        facts = json.loads(json.dumps(execution.facts))
    facts["function"] = execution.function
    facts.update(recorded)
    return Outcome(
        events=events,
        status=status,
        result=described.get("Result") if status == "SUCCEEDED" else None,
        facts=facts,
        normalisations=normalisations,
    )


def wait_finished(service: Any, arn: str, context: str) -> dict[str, Any]:
    """GetDurableExecution once the execution has ended; an error with ``context`` and the
    service's log if it is still running after RUN_TIMEOUT_SECONDS."""
    described = service.wait(arn, RUN_TIMEOUT_SECONDS)
    if described.get("Status") == "RUNNING":
        raise RuntimeError(
            f"execution still RUNNING after {RUN_TIMEOUT_SECONDS} s; {context}\n{service.log()}"
        )
    return described


def read_history(
    service: local_service.LocalService, arn: str
) -> tuple[list[dict], list[str], dict[str, Any]]:
    """The execution's history as the service serves it, with the InvocationCompletedDetails it
    drops restored from its store (unless ``--raw-python-history``), the normalisations applied,
    and facts from the store: the start times (epoch seconds) of the invocations it recorded."""
    events = service.history(arn)
    stored = service.stored(arn)
    normalisations = []
    if os.environ.get("CONFORMANCE_PYTHON_RAW_HISTORY") != "1" and restore_invocation_details(
        events, stored
    ):
        normalisations.append("dex-invocation-details-restored")
    records = sorted(
        (stored or {}).get("InvocationCompletions") or [], key=lambda r: r.get("EndTimestamp", 0)
    )
    facts = {"recorded_invocation_starts": [r["StartTimestamp"] / 1000 for r in records]}
    return events, normalisations, facts


def restore_invocation_details(events: list[dict], stored: dict | None) -> bool:
    """The runner drops ``InvocationCompletedDetails`` from the history it serves although it
    recorded them (its execution store's ``InvocationCompletions``, epoch milliseconds). Put the
    recorded details back on the InvocationCompleted events, paired in order, only if there are
    as many records as events and each record's end is the event's timestamp (to the
    millisecond); otherwise leave the history as served. Timestamps stay in the service's JSON
    shape (epoch seconds)."""
    completed = [e for e in events if e.get("EventType") == "InvocationCompleted"]
    if not completed or all("InvocationCompletedDetails" in e for e in completed):
        return False
    records = sorted(
        (stored or {}).get("InvocationCompletions") or [], key=lambda r: r.get("EndTimestamp", 0)
    )
    if len(records) != len(completed):
        return False
    for record, event in zip(records, completed, strict=True):
        when = event.get("EventTimestamp")
        if not isinstance(when, int | float) or round(when * 1000) != record.get("EndTimestamp"):
            return False
    for record, event in zip(records, completed, strict=True):
        event["InvocationCompletedDetails"] = {
            "StartTimestamp": record["StartTimestamp"] / 1000,
            "EndTimestamp": record["EndTimestamp"] / 1000,
            "RequestId": record["RequestId"],
        }
    return True


def close() -> None:
    global _service, _prepare_error
    with _state_lock:
        had_service = _service is not None
        _service = _prepare_error = None
        _executions.clear()
    if had_service:
        local_service.release()


for _name in ("botocore", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)

DRIVER = Driver(
    name="core-step",
    description="durable-core's step driver (durable_core.Invocation/run_step, profile python, "
    "no SDK) on dex-local-runner start-server (testing 1.4.0; --skip-time unless "
    "--core-clock real) over HTTP",
    run=run,
    runner=RUNNER,
    strategies=("durable-core",),
    prepare=prepare,
    close=close,
    rank=30,
    delay_reference="python-sdk",
)
