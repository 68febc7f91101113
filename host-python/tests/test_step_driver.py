"""run_step against an in-memory service: which updates go out when, what comes back, and how
service failures are classified. The same flows run against the real local service in
test_step_e2e.py."""

import json

import pytest
from step_memory import MemoryService, client_error

from durable_core import (
    Category,
    CheckpointFailed,
    CheckpointToken,
    FailExecutionError,
    Invocation,
    NonDeterministicError,
    StepCall,
    StepError,
    StepSerdesError,
    SuspendExecution,
    retry,
    run_step,
)

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/f/1"


class Declined(RuntimeError):
    pass


def call(profile="python", **kw):
    return StepCall(id="op-1", name="charge", profile=profile, **kw)


def run(service, fn, *, token=None, step_call=None, **kw):
    holder = token or CheckpointToken(service.token)
    return run_step(
        service,
        execution_arn=ARN,
        checkpoint_token=holder,
        call=step_call or call(),
        fn=fn,
        clock=service.clock,
        random=0.5,
        **kw,
    )


def actions(service):
    return [[u["Action"] for u in batch] for batch in service.calls]


def test_first_run_sends_start_with_succeed_and_returns_the_round_tripped_value():
    service = MemoryService()
    token = CheckpointToken(service.token)
    seen = []
    value = run(service, lambda attempt: seen.append(attempt) or {"total": (1, 2)}, token=token)
    assert value == {"total": [1, 2]}  # what a replay returns: deserialize(serialize(x))
    assert seen == [1]
    assert actions(service) == [["START", "SUCCEED"]]
    assert service.calls[0][1] == {
        "Id": "op-1",
        "Type": "STEP",
        "Action": "SUCCEED",
        "Name": "charge",
        "SubType": "Step",
        "Payload": '{"total": [1, 2]}',
    }
    assert token.value == service.token  # the holder carries the next token
    # the next invocation replays: no call to fn, no update
    assert run(service, lambda attempt: pytest.fail("ran again")) == {"total": [1, 2]}
    assert len(service.calls) == 1


def test_at_most_once_start_is_persisted_before_the_function_runs():
    service = MemoryService()
    statuses = []

    def fn(attempt):
        statuses.append(service.ops["op-1"]["Status"])
        return "ok"

    assert run(service, fn, step_call=call(semantics="AT_MOST_ONCE_PER_RETRY")) == "ok"
    assert statuses == ["STARTED"]
    assert actions(service) == [["START"], ["SUCCEED"]]


def test_failure_retries_suspends_and_the_next_invocation_runs_attempt_two():
    service = MemoryService()
    strategy = retry.Strategy(
        retry.exponential(max_attempts=3, initial_delay=2, jitter="NONE"), profile="python"
    )

    def flaky(attempt):
        if attempt < 2:
            raise Declined(f"attempt {attempt}")
        return attempt

    with pytest.raises(SuspendExecution) as suspended:
        run(service, flaky, strategy=strategy)
    assert suspended.value.until_ms == service.now_ms + 2000
    assert actions(service) == [["START", "RETRY"]]
    retry_update = service.calls[0][1]
    assert retry_update["Error"] == {
        "ErrorMessage": "attempt 1",
        "ErrorType": "test_step_driver.Declined",
    }
    assert retry_update["StepOptions"] == {"NextAttemptDelaySeconds": 2}
    # before the timer: still suspended, nothing sent
    with pytest.raises(SuspendExecution):
        run(service, flaky, strategy=strategy)
    assert len(service.calls) == 1
    service.now_ms += 2000
    service.fire_timers()
    assert run(service, flaky, strategy=strategy) == 2
    assert actions(service) == [["START", "RETRY"], ["START", "SUCCEED"]]


def test_exhausted_retries_fail_the_step_and_replay_raises_the_same_error():
    service = MemoryService()
    strategy = retry.Strategy("none", profile="python")
    with pytest.raises(StepError) as raised:
        run(service, lambda attempt: (_ for _ in ()).throw(Declined("no funds")), strategy=strategy)
    assert actions(service) == [["START", "FAIL"]]
    first = raised.value
    assert (first.error_class, first.error_type, first.message) == (
        "StepError",
        "test_step_driver.Declined",
        "no funds",
    )
    assert isinstance(first.__cause__, Declined)
    with pytest.raises(StepError) as replayed:
        run(service, lambda attempt: pytest.fail("ran again"))
    assert replayed.value.error == first.error
    assert len(service.calls) == 1


def test_an_unrecoverable_error_escapes_as_is_after_start():
    from aws_durable_execution_sdk_python.exceptions import ExecutionError

    service = MemoryService()
    fatal = ExecutionError("fatal")
    with pytest.raises(ExecutionError) as raised:
        run(service, lambda attempt: (_ for _ in ()).throw(fatal))
    assert raised.value is fatal
    assert actions(service) == [["START"]]


def test_an_oversized_result_is_not_sent_and_fails_the_execution():
    service = MemoryService()
    with pytest.raises(FailExecutionError) as raised:
        run(service, lambda attempt: "x" * 300_000)
    assert raised.value.rule == "step-payload-too-large"
    assert raised.value.category == "EXECUTION"
    assert "262144" in raised.value.error.message
    assert actions(service) == [["START"]]


def test_an_interrupted_at_most_once_step_is_retried_without_running_it():
    service = MemoryService()
    at_most_once = call(semantics="AT_MOST_ONCE_PER_RETRY")

    def crash(attempt):
        raise KeyboardInterrupt  # the process dies mid-step: no outcome is recorded

    with pytest.raises(KeyboardInterrupt):
        run(service, crash, step_call=at_most_once)
    assert actions(service) == [["START"]]
    with pytest.raises(SuspendExecution):
        run(service, lambda attempt: pytest.fail("must not run"), step_call=at_most_once)
    retry_update = service.calls[1][0]
    assert retry_update["Action"] == "RETRY"
    assert retry_update["Error"]["ErrorType"].endswith("StepInterruptedError")
    # with no retries left it fails instead
    service = MemoryService()
    service.ops["op-1"] = {
        "Id": "op-1",
        "Type": "STEP",
        "SubType": "Step",
        "Name": "charge",
        "Status": "STARTED",
    }
    with pytest.raises(StepError, match="previously interrupted"):
        run(
            service,
            lambda a: pytest.fail("must not run"),
            step_call=at_most_once,
            strategy=retry.Strategy("none", profile="python"),
        )
    assert actions(service) == [["FAIL"]]


def test_ts_raises_non_deterministic_when_the_name_changed():
    service = MemoryService()
    run(service, lambda attempt: 1, step_call=call("ts"))
    renamed = StepCall(id="op-1", name="refund", profile="ts")
    with pytest.raises(NonDeterministicError) as raised:
        run(service, lambda attempt: 1, step_call=renamed)
    assert (raised.value.field, raised.value.expected, raised.value.actual) == (
        "Name",
        "refund",
        "charge",
    )


@pytest.mark.parametrize(
    ("error", "category", "rule"),
    [
        (
            client_error(
                400,
                "InvalidParameterValueException",
                "Invalid checkpoint token: x",
                "CheckpointDurableExecution",
            ),
            Category.INVOCATION,
            "stale-checkpoint-token",
        ),
        (
            client_error(
                400,
                "InvalidParameterValueException",
                "Invalid update",
                "CheckpointDurableExecution",
            ),
            Category.EXECUTION,
            "client-error",
        ),
        (ConnectionResetError("reset"), Category.INVOCATION, "no-http-response"),
        (
            client_error(502, "KMSAccessDeniedException", "denied", "CheckpointDurableExecution"),
            Category.EXECUTION,
            "kms-customer-error",
        ),
    ],
)
def test_checkpoint_failures_are_classified_by_the_core(error, category, rule):
    service = MemoryService()
    service.fail_next = error
    with pytest.raises(CheckpointFailed) as raised:
        run(service, lambda attempt: 1, operations={})
    assert (raised.value.category, raised.value.rule) == (category, rule)
    assert raised.value.retryable == (category is Category.INVOCATION)
    assert raised.value.api.value == "checkpoint"
    assert raised.value.__cause__ is error


def test_state_fetch_failures_are_classified_as_get_state():
    service = MemoryService()
    service.fail_next = client_error(500, "ServiceException", "boom", "GetDurableExecutionState")
    with pytest.raises(CheckpointFailed) as raised:
        run(service, lambda attempt: 1)
    assert raised.value.api.value == "get-state"
    assert raised.value.category is Category.INVOCATION


def test_a_stale_token_is_rejected_by_the_service_and_classified():
    service = MemoryService()
    run(service, lambda attempt: 1)
    stale = StepCall(id="op-2", profile="python")
    # The service says "Invalid checkpoint token"; @aws/durable-execution-sdk-js 2.4.0 still
    # matches "Invalid Checkpoint Token" (conformance-notes 3.5), so ts calls it a client error.
    expected = {
        "python": "stale-checkpoint-token",
        "unified": "stale-checkpoint-token",
        "ts": "client-error",
    }
    for profile, rule in expected.items():
        with pytest.raises(CheckpointFailed) as raised:
            run(
                service,
                lambda attempt: 2,
                step_call=stale,
                token=CheckpointToken("token-0"),
                profile=profile,
            )
        assert raised.value.rule == rule


def test_sleep_waits_in_process_for_the_retry_timer_and_polls_until_ready():
    service = MemoryService()
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        service.now_ms += seconds * 1000
        if len(sleeps) > 1:  # the service flips PENDING -> READY a little late
            service.fire_timers()

    def flaky(attempt):
        if attempt == 1:
            raise Declined("once")
        return "second time"

    strategy = retry.Strategy(retry.exponential(initial_delay=3, jitter="NONE"))
    assert run(service, flaky, sleep=sleep, strategy=strategy) == "second time"
    assert sleeps == [3.0, 1.0]
    assert actions(service) == [["START", "RETRY"], ["START", "SUCCEED"]]


def test_sleep_gives_up_after_max_wait_and_suspends():
    service = MemoryService()
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        service.now_ms += seconds * 1000  # the timer never fires

    with pytest.raises(SuspendExecution):
        run(
            service,
            lambda a: (_ for _ in ()).throw(Declined("x")),
            sleep=sleep,
            strategy=retry.Strategy(retry.exponential(initial_delay=3, jitter="NONE")),
            max_wait_seconds=10,
        )
    assert sleeps == [3.0, 1.0, 2.0, 3.0]


def test_serdes_failures_send_nothing_for_the_outcome():
    service = MemoryService()
    with pytest.raises(StepSerdesError) as raised:
        run(service, lambda attempt: {1, 2})  # a set is not JSON
    assert raised.value.phase == "serialize"
    assert service.calls == []
    with pytest.raises(StepSerdesError):
        run(service, lambda attempt: "x", serialize=lambda v: 5)


def test_no_payload_returns_none_and_sends_succeed_without_payload():
    service = MemoryService()
    assert run(service, lambda attempt: "ignored", serialize=lambda v: None) is None
    assert "Payload" not in service.calls[0][1]
    assert run(service, lambda attempt: pytest.fail("replayed")) is None


def test_invocation_pages_the_initial_state_and_tracks_the_token():
    service = MemoryService()
    service.page_size = 2
    for n in range(5):
        service.ops[f"op-{n}"] = {
            "Id": f"op-{n}",
            "Type": "STEP",
            "SubType": "Step",
            "Status": "SUCCEEDED",
            "StepDetails": {"Attempt": 1, "Result": json.dumps(n)},
        }
    first_page, marker = service.get_state(ARN, service.token)
    event = {
        "DurableExecutionArn": ARN,
        "CheckpointToken": service.token,
        "InitialExecutionState": {"Operations": first_page, "NextMarker": marker},
    }
    invocation = Invocation.from_event(service, event)
    assert sorted(invocation.operations) == [f"op-{n}" for n in range(5)]
    calls_before = service.state_calls
    assert invocation.step(StepCall(id="op-4", profile="python"), lambda a: 99) == 4
    assert service.state_calls == calls_before  # read from the invocation's operations
    assert invocation.step(StepCall(id="op-9", profile="python"), lambda a: 9) == 9
    assert invocation.token.value == service.token
    assert invocation.operations["op-9"]["Status"] == "SUCCEEDED"
    with pytest.raises(TypeError, match="CheckpointToken"):
        Invocation.from_event(service, {"DurableExecutionArn": ARN})


def test_driver_argument_errors_name_the_field():
    service = MemoryService()
    with pytest.raises(TypeError, match="fn"):
        run(service, "not callable")
    with pytest.raises(TypeError, match="call"):
        run_step(service, execution_arn=ARN, checkpoint_token="t", call="op-1", fn=len)
    with pytest.raises(TypeError, match="checkpoint_token"):
        run_step(service, execution_arn=ARN, checkpoint_token=5, call=call(), fn=len)


def test_a_programming_error_in_the_transport_is_a_type_error_not_a_checkpoint_failure():
    service = MemoryService()
    service.fail_next = AttributeError("'NoneType' object has no attribute 'checkpoint'")
    with pytest.raises(TypeError, match="programming error") as raised:
        run(service, lambda attempt: 1, operations={})
    assert not isinstance(raised.value, CheckpointFailed)
