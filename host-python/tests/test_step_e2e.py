"""run_step end to end against a real validator: the Python testing SDK's local service
(``dex-local-runner start-server``), spoken to through botocore's ``lambda`` client.

The service plays Lambda's durable-execution side: it starts executions, invokes the function
with the durable invocation input, validates and applies every checkpoint, fires retry timers
and re-invokes. The function is a small Lambda-compatible HTTP endpoint in this process whose
handlers run steps with ``Invocation``/``run_step`` through ``LambdaServiceClient``. Every
assertion is on what the service recorded (history, result) and what the handlers saw.

Loopback only; the server is stopped at teardown; every wait is bounded.
"""

from __future__ import annotations

import json
import time
import uuid

import botocore.session
import pytest
from botocore.config import Config
from harness.local_service import FunctionCrashed, FunctionEndpoint
from harness.local_service import LocalService as DexService

import durable_core
from durable_core import (
    CheckpointFailed,
    CheckpointToken,
    Invocation,
    StepCall,
    StepError,
    SuspendExecution,
    classify_exception,
    retry,
    run_step,
    step,
)
from durable_core.service import LambdaServiceClient

WAIT_SECONDS = 40


class Crash(BaseException):
    """The function's process dies mid-step: nothing in it gets to run, Lambda reports an
    Unhandled error. run_step lets BaseExceptions through without any update."""


def lambda_client(endpoint: str):
    return botocore.session.get_session().create_client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 0}, connect_timeout=5, read_timeout=20),
    )


class LocalService:
    """The conformance harness's dex-local-runner and invoke endpoint (one implementation of
    both), on real timers as the service runs by default, read back through botocore."""

    def __init__(self) -> None:
        self.functions = FunctionEndpoint()
        self.dex = DexService(self.functions.url, skip_time=False)
        self.url = self.dex.url
        self.lam = lambda_client(self.url)

    def log(self) -> str:
        return self.dex.log()

    def close(self) -> None:
        self.dex.close()
        self.functions.close()

    def start(self, handler, payload: object = None) -> str:
        """Register ``handler`` as a new function and start an execution of it."""
        name = f"fn-{uuid.uuid4().hex[:12]}"
        self.functions.handlers[name] = handler
        return self.dex.start(name, payload or {}, timeout_seconds=120)

    def wait(self, arn: str) -> dict:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            execution = self.lam.get_durable_execution(DurableExecutionArn=arn)
            if execution["Status"] != "RUNNING":
                return execution
            time.sleep(0.1)
        raise AssertionError(f"execution still RUNNING after {WAIT_SECONDS} s:\n{self.log()}")

    def history(self, arn: str) -> list[dict]:
        events, marker = [], None
        for _ in range(100):
            page = self.lam.get_durable_execution_history(
                DurableExecutionArn=arn,
                IncludeExecutionData=True,
                **({"Marker": marker} if marker else {}),
            )
            events += page["Events"]
            marker = page.get("NextMarker")
            if not marker:
                return events
        raise AssertionError("history never ended")


@pytest.fixture(scope="module")
def service():
    local = LocalService()
    try:
        yield local
    finally:
        local.close()


class Recorder:
    """A CheckpointClient that records what went out per invocation, for assertions."""

    def __init__(self, client: LambdaServiceClient) -> None:
        self.client = client
        self.batches: list[list[str]] = []

    def checkpoint(self, arn, token, updates):
        result = self.client.checkpoint(arn, token, updates)
        self.batches.append([f"{u['Id'][:6]}:{u['Action']}" for u in updates])
        return result

    def get_state(self, arn, token, marker=None):
        return self.client.get_state(arn, token, marker)


def durable_handler(service: LocalService, body, seen: list):
    """A handler: runs ``body(invocation, record)`` and returns the invocation output the
    service expects. ``seen`` collects one dict per invocation."""

    def handler(event: dict) -> dict:
        client = Recorder(LambdaServiceClient(lambda_client(service.url)))
        invocation = Invocation.from_event(client, event)
        record: dict = {"checkpoints": client.batches}
        seen.append(record)
        try:
            result = body(invocation, record)
        except Crash as crash:  # the process died: Lambda reports an Unhandled error
            raise FunctionCrashed("Runtime.ExitError", str(crash)) from None
        except SuspendExecution as suspended:
            record["outcome"] = ("PENDING", suspended.until_ms)
            return {"Status": "PENDING"}
        except StepError as failed:
            record["outcome"] = ("FAILED", failed.error_type)
            return {
                "Status": "FAILED",
                "Error": {"ErrorType": "StepError", "ErrorMessage": failed.message or ""},
            }
        record["outcome"] = ("SUCCEEDED", result)
        return {"Status": "SUCCEEDED", "Result": json.dumps(result)}

    return handler


def events(history: list[dict]) -> list[tuple]:
    """(EventType, Name, attempt, delay, error type) per event, timestamps left out."""
    rows = []
    for event in history:
        details = next((v for k, v in event.items() if k.endswith("Details")), {}) or {}
        retry_details = details.get("RetryDetails") or {}
        error = (details.get("Error") or {}).get("Payload") or {}
        rows.append(
            (
                event["EventType"],
                event.get("Name"),
                retry_details.get("CurrentAttempt"),
                retry_details.get("NextAttemptDelaySeconds"),
                error.get("ErrorType"),
            )
        )
    return rows


def ids(profile: str, count: int) -> list[str]:
    return [step.operation_id(profile, None, n).id for n in range(1, count + 1)]


class Declined(RuntimeError):
    pass


ONE_SECOND = retry.exponential(max_attempts=3, initial_delay=1, jitter="NONE")


@pytest.mark.parametrize("profile", ["python", "ts", "unified"])
def test_first_run_start_and_succeed_are_accepted(service, profile):
    seen: list = []
    (op_id,) = ids(profile, 1)

    def body(invocation, record):
        call = StepCall(id=op_id, name="charge", profile=profile)
        return invocation.step(call, lambda attempt: {"charged": 42, "attempt": attempt})

    arn = service.start(durable_handler(service, body, seen))
    execution = service.wait(arn)
    assert execution["Status"] == "SUCCEEDED", service.log()
    assert json.loads(execution["Result"]) == {"charged": 42, "attempt": 1}
    assert [r["checkpoints"] for r in seen] == [[[f"{op_id[:6]}:START", f"{op_id[:6]}:SUCCEED"]]]
    history = service.history(arn)
    rows = events(history)
    assert [rows[0][0], rows[-1][0]] == ["ExecutionStarted", "ExecutionSucceeded"]
    assert rows[1:-1] == [
        ("StepStarted", "charge", None, None, None),
        ("StepSucceeded", "charge", None, None, None),
        ("InvocationCompleted", None, None, None, None),
    ]
    succeeded = history[2]
    assert succeeded["Id"] == op_id
    assert succeeded["SubType"] == "Step"
    assert json.loads(succeeded["StepSucceededDetails"]["Result"]["Payload"]) == {
        "charged": 42,
        "attempt": 1,
    }


def test_retry_suspends_and_the_timer_brings_attempt_two(service):
    seen: list = []
    attempts: list = []
    (op_id,) = ids("python", 1)
    strategy = retry.Strategy(ONE_SECOND, profile="python")

    def flaky(attempt):
        attempts.append(attempt)
        if attempt == 1:
            raise Declined("card declined")
        return "charged"

    def body(invocation, record):
        call = StepCall(id=op_id, name="charge", profile="python")
        return invocation.step(call, flaky, strategy=strategy)

    arn = service.start(durable_handler(service, body, seen))
    execution = service.wait(arn)
    assert execution["Status"] == "SUCCEEDED", service.log()
    assert attempts == [1, 2]
    assert [r["outcome"][0] for r in seen] == ["PENDING", "SUCCEEDED"]
    assert [r["checkpoints"] for r in seen] == [
        [[f"{op_id[:6]}:START", f"{op_id[:6]}:RETRY"]],
        [[f"{op_id[:6]}:START", f"{op_id[:6]}:SUCCEED"]],
    ]
    rows = events(service.history(arn))
    assert [rows[0][0], rows[-1][0]] == ["ExecutionStarted", "ExecutionSucceeded"]
    assert rows[1:-1] == [
        ("StepStarted", "charge", None, None, None),
        ("StepFailed", "charge", 1, 1, "test_step_e2e.Declined"),
        ("InvocationCompleted", None, None, None, None),
        ("StepStarted", "charge", None, None, None),
        ("StepSucceeded", "charge", None, None, None),
        ("InvocationCompleted", None, None, None, None),
    ]


def test_replay_of_succeeded_and_failed_steps_sends_nothing(service):
    seen: list = []
    runs = {"a": 0, "b": 0, "c": 0}
    a_id, b_id, c_id = ids("python", 3)
    no_retry = retry.Strategy("none", profile="python")
    strategy = retry.Strategy(ONE_SECOND, profile="python")

    def body(invocation, record):
        def a(attempt):
            runs["a"] += 1
            return {"id": 7, "items": [1, 2]}

        def b(attempt):
            runs["b"] += 1
            raise Declined("out of stock")

        def c(attempt):
            runs["c"] += 1
            if attempt == 1:
                raise TimeoutError("slow")
            return "shipped"

        record["a"] = invocation.step(StepCall(id=a_id, name="reserve", profile="python"), a)
        try:
            invocation.step(StepCall(id=b_id, name="bill", profile="python"), b, strategy=no_retry)
        except StepError as failed:
            record["b"] = (failed.error_type, failed.message, failed.error_class)
        record["c"] = invocation.step(
            StepCall(id=c_id, name="ship", profile="python"), c, strategy=strategy
        )
        return [record["a"], record["c"]]

    arn = service.start(durable_handler(service, body, seen))
    execution = service.wait(arn)
    assert execution["Status"] == "SUCCEEDED", service.log()
    first, second = seen
    assert runs == {"a": 1, "b": 1, "c": 2}
    assert first["a"] == second["a"] == {"id": 7, "items": [1, 2]}
    assert first["b"] == second["b"] == ("test_step_e2e.Declined", "out of stock", "StepError")
    # the second invocation replayed a and b: only c's attempt 2 went out
    assert second["checkpoints"] == [[f"{c_id[:6]}:START", f"{c_id[:6]}:SUCCEED"]]
    rows = events(service.history(arn))
    assert [r for r in rows if r[1] in ("reserve", "bill")] == [
        ("StepStarted", "reserve", None, None, None),
        ("StepSucceeded", "reserve", None, None, None),
        ("StepStarted", "bill", None, None, None),
        # FAIL carries no delay; this service reports NextAttemptDelaySeconds 0 for it
        ("StepFailed", "bill", 1, 0, "test_step_e2e.Declined"),
    ]
    assert [r for r in rows if r[1] == "ship"] == [
        ("StepStarted", "ship", None, None, None),
        ("StepFailed", "ship", 1, 1, "TimeoutError"),
        ("StepStarted", "ship", None, None, None),
        ("StepSucceeded", "ship", None, None, None),
    ]


@pytest.mark.parametrize("retries", [False, True], ids=["fail", "retry"])
def test_at_most_once_interrupted_by_a_crash_is_failed_or_retried_unrun(service, retries):
    seen: list = []
    runs: list = []
    (op_id,) = ids("python", 1)
    strategy = retry.Strategy(ONE_SECOND if retries else "none", profile="python")

    def pay(attempt):
        runs.append(attempt)
        if len(runs) == 1:
            raise Crash("the process died mid-payment")  # escapes run_step: nothing recorded
        return "paid"

    def body(invocation, record):
        call = StepCall(id=op_id, name="pay", profile="python", semantics="AT_MOST_ONCE_PER_RETRY")
        return invocation.step(call, pay, strategy=strategy)

    arn = service.start(durable_handler(service, body, seen))
    execution = service.wait(arn)
    tag = op_id[:6]
    interrupted = "aws_durable_execution_sdk_python.exceptions.StepInterruptedError"
    rows = events(service.history(arn))
    if not retries:
        assert execution["Status"] == "FAILED", service.log()
        assert runs == [1]  # never run again
        assert [r["checkpoints"] for r in seen] == [[[f"{tag}:START"]], [[f"{tag}:FAIL"]]]
        assert seen[1]["outcome"] == ("FAILED", interrupted)
        assert [r for r in rows if r[1] == "pay"] == [
            ("StepStarted", "pay", None, None, None),
            ("StepFailed", "pay", 1, 0, interrupted),
        ]
    else:
        assert execution["Status"] == "SUCCEEDED", service.log()
        assert runs == [1, 2]
        assert [r["checkpoints"] for r in seen] == [
            [[f"{tag}:START"]],
            [[f"{tag}:RETRY"]],
            [[f"{tag}:START"], [f"{tag}:SUCCEED"]],
        ]
        assert [r for r in rows if r[1] == "pay"] == [
            ("StepStarted", "pay", None, None, None),
            ("StepFailed", "pay", 1, 1, interrupted),
            ("StepStarted", "pay", None, None, None),
            ("StepSucceeded", "pay", None, None, None),
        ]
    # The service records a crashed invocation too; this runner records only those that
    # returned (its error path skips InvocationCompleted), so the crash is not counted here.
    assert [r[0] for r in rows].count("InvocationCompleted") == len(seen) - 1


def test_in_process_wait_polls_the_service_until_the_timer_fires(service):
    seen: list = []
    attempts: list = []
    (op_id,) = ids("ts", 1)
    strategy = retry.Strategy(ONE_SECOND, profile="ts")

    def flaky(attempt):
        attempts.append(attempt)
        if attempt == 1:
            raise Declined("busy")
        return "done"

    def body(invocation, record):
        call = StepCall(id=op_id, name="poll", profile="ts")
        return invocation.step(
            call, flaky, strategy=strategy, sleep=time.sleep, max_wait_seconds=20
        )

    arn = service.start(durable_handler(service, body, seen))
    execution = service.wait(arn)
    assert execution["Status"] == "SUCCEEDED", service.log()
    assert attempts == [1, 2]
    assert len(seen) == 1  # one invocation: it waited instead of returning PENDING
    assert [r[0] for r in events(service.history(arn))].count("StepStarted") == 2


def test_the_service_rejects_stale_tokens_and_bad_transitions_and_the_core_classifies(service):
    seen: list = []
    a_id, b_id = ids("python", 2)

    def body(invocation, record):
        first_token = invocation.token.value
        invocation.step(StepCall(id=a_id, name="a", profile="python"), lambda attempt: 1)
        # a token already consumed: the service answers "Invalid checkpoint token"
        try:
            run_step(
                invocation.client,
                execution_arn=invocation.execution_arn,
                checkpoint_token=CheckpointToken(first_token),
                call=StepCall(id=b_id, name="b", profile="python"),
                fn=lambda attempt: 2,
                operations={},
            )
        except CheckpointFailed as failed:
            error = failed.__cause__.response["Error"]
            record["stale"] = (error.get("Code"), error.get("Message"), failed.rule)
        # SUCCEED again on a SUCCEEDED step: the validator refuses the transition
        again = {
            "Id": a_id,
            "Type": "STEP",
            "Action": "SUCCEED",
            "SubType": "Step",
            "Name": "a",
            "Payload": "1",
        }
        try:
            invocation.client.checkpoint(invocation.execution_arn, invocation.token.value, [again])
        except Exception as err:  # botocore's InvalidParameterValueException
            record["transition"] = (str(err), classify_exception(err, profile="python").rule)
        return "ok"

    arn = service.start(durable_handler(service, body, seen))
    assert service.wait(arn)["Status"] == "SUCCEEDED", service.log()
    (record,) = seen
    # This service names the error in a body field ("Type") that botocore does not read for
    # rest-json errors (the real service sends the x-amzn-ErrorType header), so the parsed
    # code is the bare status: the stale-token rule, which needs InvalidParameterValueException,
    # does not fire and the core calls it a client error (EXECUTION) -- a runner fidelity gap.
    assert record["stale"] == ("400", "Invalid checkpoint token", "client-error")
    # The same failure as the real service reports it is a stale token (INVOCATION).
    real = durable_core.classify_api_error(
        400, "InvalidParameterValueException", "Invalid checkpoint token", profile="python"
    )
    assert (real.rule, real.retryable) == ("stale-checkpoint-token", True)
    message, rule = record["transition"]
    assert "Invalid current STEP state to close" in message
    assert rule == "client-error"
