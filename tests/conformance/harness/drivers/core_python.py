"""Driver ``core-python``: durable-core's own invocation engine, no SDK. Each requirement's
handler is the one the ``python-sdk`` driver runs (``harness.handlers_python``), imported from
``durable_core.sdk`` instead of ``aws_durable_execution_sdk_python``: the same source with only
the package name changed. ``durable_core.sdk.durable_execution`` runs each invocation on the
core's engine, talking to the Python testing SDK's local HTTP service (``dex-local-runner
start-server``, aws-durable-execution-sdk-python-testing 1.4.0) through a botocore ``lambda``
client; the service invokes the handlers through a Lambda-compatible endpoint in this process
(``harness.local_service``).

Profile ``python`` throughout; retry strategies are ``durable_core.sdk``'s
``create_retry_strategy``/``RetryPresets`` (decided by the core); a step with no configured
strategy gets the core's default. There is no SDK here, so there is no control run
(``strategies=("durable-core",)``): a failure is excused only when a documented deviation of the
Python runner is detected and the history with it undone passes the official matcher (see
judging.py), and retry delays are compared with the ``python-sdk`` driver's inside the verdict.

Logs written through the context loggers are captured per execution (the ``durable_core.sdk``
logger, keyed by the execution ARN it carries) and judged against ``ExpectedLogs``.

A Lambda crash (1-17, 1-18, 3-12) is a ``BaseException`` raised in the step function: the engine
lets it through without any update, and the endpoint answers with an Unhandled
``Runtime.ExitError`` function error, which the service re-invokes after its 5 s back-off.

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

from durable_core.sdk import durable_execution

from .. import local_service
from ..handlers_python import Api, ApiStrategies, SimulatedLambdaCrash, handlers
from . import Case, Driver, NotImplementedCase, Outcome

PROFILE = "python"
RUNNER = "aws-durable-execution-sdk-python-testing 1.4.0"
RUN_TIMEOUT_SECONDS = 120
API = Api.of("durable_core.sdk")


def _replay_logging(ctx: Any) -> None:
    ctx.set_logger(replay_aware=False)


def _handlers() -> dict[str, Callable]:
    """A fresh set per execution (3-12 crashes once per set)."""
    return handlers(API, ApiStrategies(API), _replay_logging)


HANDLED = frozenset(_handlers())


def not_implemented_reason(case: Case) -> str | None:
    if case.id in HANDLED:
        return None
    return f"no handler for {case.id} (suite {case.suite})"


class _LogCapture(logging.Handler):
    """The context loggers' records, per execution ARN, as log events the official log
    validator reads (``message`` and ``timestamp``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.events: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        arn = getattr(record, "durable_execution_arn", None)
        if arn is None:
            return
        event = {
            "message": f"[{record.levelname}] {record.getMessage()}",
            "timestamp": int(record.created * 1000),
        }
        with self._lock:
            self.events.setdefault(arn, []).append(event)

    def take(self, arn: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.events.get(arn, []))


_logs = _LogCapture()
_sdk_logger = logging.getLogger("durable_core.sdk")
_sdk_logger.addHandler(_logs)
_sdk_logger.setLevel(logging.INFO)
_sdk_logger.propagate = False


# --- the Lambda entry point ----------------------------------------------------------------------


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
        }
    )
    arn: str | None = None
    start_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _lambda(
    execution: _Execution, body: Callable, client: Any
) -> Callable[[Any], dict]:
    """The Lambda entry point: the handler wrapped by ``durable_core.sdk.durable_execution``,
    plus what the harness records about each invocation."""
    facts = execution.facts
    # Every jitter draw of the execution from the case's seed, as the SDK driver's control run.
    rng = random.Random(execution.case.seed)
    durable = durable_execution(
        body, boto3_client=client, profile=PROFILE, random_source=rng.random
    )

    def handle(event: Any) -> dict:
        with (
            execution.lock
        ):  # one invocation of an execution at a time, as the service does
            facts["invocations"] += 1
            ordinal = facts["invocations"]
            try:
                output = durable(event, None)
            except SimulatedLambdaCrash as crash:
                facts["crashed_invocations"] += 1
                facts["crashed_at"].append(ordinal)
                facts["outputs"].append("crashed (Runtime.ExitError)")
                raise local_service.FunctionCrashed(
                    "Runtime.ExitError", f"simulated crash: {crash}"
                ) from None
            except Exception as error:  # the invocation fails: Lambda retries it
                facts.setdefault("handler_errors", []).append(
                    f"{ordinal}: {type(error).__name__}: {error}"
                )
                facts["outputs"].append(f"invocation failed ({type(error).__name__})")
                raise local_service.FunctionCrashed(
                    type(error).__name__, str(error)
                ) from None
            facts["outputs"].append(output["Status"])
            return output

    return handle


# --- the driver ----------------------------------------------------------------------------------

_state_lock = threading.Lock()
_executions: dict[str, _Execution] = {}
_service: local_service.LocalService | None = None
_prepare_error: str | None = None


def _key(case: Case) -> str:
    return f"{case.id}/{case.strategy}/{case.seed}/{case.attempt}"


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
    client = local_service.lambda_client(service.url)
    for case in runnable:
        function = f"core-python-{case.id}-{uuid.uuid4().hex[:10]}"
        execution = _Execution(case, function)
        endpoint.handlers[function] = _lambda(execution, _handlers()[case.id], client)
        with _state_lock:
            _executions[_key(case)] = execution
        try:
            execution.arn = service.start(
                function, case.input, timeout_seconds=RUN_TIMEOUT_SECONDS
            )
        except Exception as error:
            execution.start_error = f"{type(error).__name__}: {error}"


def run(case: Case) -> Outcome:
    reason = not_implemented_reason(case)
    if reason is not None:
        raise NotImplementedCase(reason)
    if case.strategy != "durable-core":
        raise NotImplementedCase(
            "core-python has no SDK strategy: it runs durable-core only"
        )
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
    facts["logs"] = _logs.take(execution.arn)
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
    if os.environ.get(
        "CONFORMANCE_PYTHON_RAW_HISTORY"
    ) != "1" and restore_invocation_details(events, stored):
        normalisations.append("dex-invocation-details-restored")
    records = sorted(
        (stored or {}).get("InvocationCompletions") or [],
        key=lambda r: r.get("EndTimestamp", 0),
    )
    facts = {
        "recorded_invocation_starts": [r["StartTimestamp"] / 1000 for r in records]
    }
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
        (stored or {}).get("InvocationCompletions") or [],
        key=lambda r: r.get("EndTimestamp", 0),
    )
    if len(records) != len(completed):
        return False
    for record, event in zip(records, completed, strict=True):
        when = event.get("EventTimestamp")
        if not isinstance(when, int | float) or round(when * 1000) != record.get(
            "EndTimestamp"
        ):
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
    name="core-python",
    description="durable-core's invocation engine (durable_core.sdk, the python-sdk driver's "
    "handlers with only the package name changed, profile python, no SDK) on dex-local-runner "
    "start-server (testing 1.4.0; --skip-time unless --core-clock real) over HTTP",
    run=run,
    runner=RUNNER,
    strategies=("durable-core",),
    prepare=prepare,
    close=close,
    rank=30,
    delay_reference="python-sdk",
    rerun_races=True,
)
