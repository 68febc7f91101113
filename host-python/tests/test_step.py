"""durable_core.step: the wrappers over the core's step interface, and their validation."""

import json

import pytest

from durable_core import InvalidInputError, InvalidTypeError, retry, step
from durable_core._runtime import Runtime
from durable_core.step import (
    ActionKind,
    ErrorObject,
    Execute,
    FailExecution,
    Failure,
    NonDeterministic,
    Propagate,
    Raise,
    Return,
    Semantics,
    StepCall,
    Success,
    Suspend,
)

NOW = 1_700_000_000_000.0
PY = StepCall(id="op-1", name="charge", profile="python")
TS = StepCall(id="op-1", name="charge", profile="ts")


class Declined(RuntimeError):
    pass


def op(status, **details):
    record = {"Id": "op-1", "Type": "STEP", "SubType": "Step", "Name": "charge", "Status": status}
    if details:
        record["StepDetails"] = details
    return record


def test_first_run_executes_attempt_one_and_start_follows_the_semantics():
    plan = step.begin(PY, None, now_ms=NOW)
    # The core writes START itself, byte for byte as the Python SDK sends it.
    assert plan.updates == [
        '{"Id":"op-1","Type":"STEP","Action":"START","Name":"charge","SubType":"Step"}'
    ]
    assert plan.action == Execute(attempt=1, send_start=True, await_start=False)
    assert plan.action.kind is ActionKind.EXECUTE
    at_most_once = StepCall(id="op-1", semantics=Semantics.AT_MOST_ONCE_PER_RETRY)
    assert step.begin(at_most_once, None, now_ms=NOW).action == Execute(1, True, True)


def test_the_sdks_step_semantics_enum_is_accepted():
    from aws_durable_execution_sdk_python.config import StepSemantics

    call = StepCall(id="x", semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)
    assert call.semantics is Semantics.AT_MOST_ONCE_PER_RETRY


def test_replay_returns_the_payload_and_raises_the_recorded_error_without_updates():
    plan = step.begin(PY, op("SUCCEEDED", Attempt=1, Result='"ok"'), now_ms=NOW)
    assert plan == step.StepPlan([], Return('"ok"'))
    failed = op("FAILED", Attempt=2, Error={"ErrorType": "InvokeError", "ErrorMessage": "no"})
    assert step.begin(PY, failed, now_ms=NOW).action == Raise(
        "StepError", ErrorObject(error_type="InvokeError", message="no")
    )
    # ts rebuilds the durable error classes it knows
    assert step.begin(TS, failed, now_ms=NOW).action.error_class == "InvokeError"


def test_pending_suspends_until_the_timer_and_ready_runs_the_next_attempt():
    pending = op("PENDING", Attempt=1, NextAttemptTimestamp=NOW + 4000)
    assert step.begin(PY, pending, now_ms=NOW).action == Suspend(NOW + 4000)
    # a timer already past resumes now
    assert step.begin(PY, pending, now_ms=NOW + 9000).action == Suspend(NOW + 9000)
    assert step.begin(PY, op("READY", Attempt=2), now_ms=NOW).action == Execute(3, True, False)
    assert step.begin(PY, op("STARTED", Attempt=1), now_ms=NOW).action == Execute(2, False, False)


def test_botocore_datetimes_and_extra_fields_in_the_operation_are_accepted():
    from datetime import UTC, datetime

    when = datetime.fromtimestamp((NOW + 2500) / 1000, tz=UTC)
    pending = {
        **op("PENDING", Attempt=1, NextAttemptTimestamp=when),
        "StartTimestamp": datetime.now(tz=UTC),
    }
    assert step.begin(PY, pending, now_ms=NOW).action == Suspend(NOW + 2500)


def test_interrupted_at_most_once_step_is_retried_or_failed_without_running():
    call = StepCall(id="op-1", name="charge", profile="python", semantics="AT_MOST_ONCE_PER_RETRY")
    plan = step.begin(call, op("STARTED"), now_ms=NOW, random=0.5)
    (update,) = plan.updates
    assert json.loads(update)["Action"] == "RETRY"
    assert json.loads(update)["Error"]["ErrorMessage"] == (
        "Step operation_id=op-1 name=charge was previously interrupted"
    )
    assert isinstance(plan.action, Suspend)
    no_retry = retry.Strategy("none", profile="python")
    plan = step.begin(call, op("STARTED"), now_ms=NOW, strategy=no_retry)
    assert json.loads(plan.updates[0])["Action"] == "FAIL"
    assert plan.action.error.error_type.endswith("StepInterruptedError")


def test_both_profiles_detect_a_changed_name():
    # Python 3.0.0 validates too (OperationIdentifier.validate_checkpoint), also the ParentId.
    renamed = {**op("SUCCEEDED"), "Name": "refund"}
    for call in (TS, PY):
        assert step.begin(call, renamed, now_ms=NOW).action == NonDeterministic(
            "Name", "charge", "refund"
        )
    moved = {**op("SUCCEEDED"), "ParentId": "elsewhere"}
    assert step.begin(PY, moved, now_ms=NOW).action == NonDeterministic(
        "ParentId", None, "elsewhere"
    )


def test_complete_success_writes_the_wire_exact_succeed_update():
    plan = step.complete(PY, 1, Success('"caf\u00e9"'), now_ms=NOW)
    assert plan.updates == [
        '{"Id":"op-1","Type":"STEP","Action":"SUCCEED","Name":"charge","SubType":"Step",'
        '"Payload":"\\"caf\\u00e9\\""}'
    ]
    assert plan.action == Return('"caf\u00e9"')
    ts = step.complete(TS, 1, Success(None), now_ms=NOW)
    assert ts.updates == [
        '{"Type":"STEP","Action":"SUCCEED","Id":"op-1","SubType":"Step","Name":"charge"}'
    ]


def test_complete_failure_retries_with_the_strategy_then_fails():
    strategy = retry.Strategy(
        retry.exponential(max_attempts=2, initial_delay=3, jitter="NONE"), profile="python"
    )
    plan = step.complete(PY, 1, Declined("card declined"), now_ms=NOW, strategy=strategy)
    update = json.loads(plan.updates[0])
    assert update["Action"] == "RETRY"
    assert update["StepOptions"] == {"NextAttemptDelaySeconds": 3}
    assert update["Error"] == {
        "ErrorMessage": "card declined",
        "ErrorType": "test_step.Declined",
    }
    assert plan.action == Suspend(NOW + 3000)
    plan = step.complete(PY, 2, Declined("card declined"), now_ms=NOW, strategy=strategy)
    assert json.loads(plan.updates[0])["Action"] == "FAIL"
    assert plan.action == Raise(
        "StepError", ErrorObject(error_type="test_step.Declined", message="card declined")
    )


def test_retry_filters_see_the_class_chain():
    only_runtime = retry.Strategy(
        retry.exponential(retryable_error_types=[RuntimeError]), profile="python"
    )
    retried = step.complete(PY, 1, Declined("x"), now_ms=NOW, strategy=only_runtime)
    assert isinstance(retried.action, Suspend)
    failed = step.complete(PY, 1, KeyError("x"), now_ms=NOW, strategy=only_runtime)
    assert isinstance(failed.action, Raise)


def test_failure_describes_exceptions_like_the_python_sdk():
    from aws_durable_execution_sdk_python.exceptions import ExecutionError, StepError
    from aws_durable_execution_sdk_python.lambda_service import ErrorObject as SdkErrorObject

    for error in (ValueError("v"), Declined("d"), StepError("inner", data="payload")):
        ours = Failure.from_exception(error)
        theirs = SdkErrorObject.from_exception(error)
        assert (ours.error_type, ours.message, ours.data) == (
            theirs.type,
            theirs.message,
            theirs.data,
        )
    described = Failure.from_exception(Declined("d"))
    assert described.error_types == (
        "test_step.Declined",
        "RuntimeError",
        "Exception",
        "BaseException",
    )
    assert not described.unrecoverable
    assert Failure.from_exception(ExecutionError("fatal")).unrecoverable
    plan = step.complete(PY, 1, ExecutionError("fatal"), now_ms=NOW)
    assert plan == step.StepPlan([], Propagate())


def test_an_oversized_payload_is_not_sent_but_fails_the_execution():
    plan = step.complete(PY, 1, Success("x" * 262_145), now_ms=NOW)
    assert plan.updates == []
    assert isinstance(plan.action, FailExecution)
    assert plan.action.rule == "step-payload-too-large"
    assert plan.action.category == "EXECUTION"
    assert len(step.complete(PY, 1, Success("x" * 262_144), now_ms=NOW).updates) == 1


def test_operation_ids_per_profile():
    assert step.operation_id("ts", None, 1) == step.OperationId("1", "c4ca4238a0b92382")
    assert step.operation_id("ts", "1", 2).id == "98c6f2c2287f4c73"
    root = step.operation_id("python", None, 1)
    assert root.id == "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"
    assert step.operation_id("python", root.step_id, 1).id.startswith("974bfc6321e227b0")
    assert step.operation_id("unified", None, 1) == step.operation_id("ts", None, 1)


@pytest.mark.parametrize(
    ("args", "error", "field"),
    [
        (("ts", None, 0), InvalidInputError, "counter"),
        (("python", "", 1), InvalidInputError, "parent"),
        (("ts", None, 2**32), InvalidInputError, "counter"),
        (("ts", None, True), InvalidTypeError, "counter"),
        (("ts", 5, 1), InvalidTypeError, "parent"),
        (("java", None, 1), InvalidInputError, "profile"),
    ],
)
def test_operation_id_rejections_name_the_field(args, error, field):
    with pytest.raises(error) as raised:
        step.operation_id(*args)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("call", "field", "core_field"),
    [
        (lambda: step.begin(PY, None, now_ms=-5), "now_ms", "now-ms"),
        (lambda: step.begin(PY, {"Status": "DONE"}, now_ms=NOW), "operation.Status", None),
        (lambda: step.begin(PY, {"Name": "x"}, now_ms=NOW), "operation.Status", None),
        (
            lambda: step.begin(PY, {"Status": "READY", "StepDetails": []}, now_ms=NOW),
            "operation.StepDetails",
            None,
        ),
        (lambda: step.complete(PY, 1, ValueError(), now_ms=NOW, random=1.5), "random", None),
        (lambda: step.begin(StepCall(id=""), None, now_ms=NOW), "id", None),
        (lambda: step.complete(PY, 0, Success(None), now_ms=NOW), "attempt", None),
        (lambda: step.complete(PY, 1, Failure(error_types=("",)), now_ms=NOW), None, None),
    ],
)
def test_core_rejections_raise_invalid_input_naming_the_core_field(call, field, core_field):
    if field is None:  # accepted: an empty type name is just a name that matches nothing
        call()
        return
    with pytest.raises(InvalidInputError) as raised:
        call()
    assert raised.value.field == field
    assert f"[durable-core field {core_field or field}]" in str(raised.value)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: StepCall(id=3), "id"),
        (lambda: StepCall(id="x", name=5), "name"),
        (lambda: StepCall(id="x", parent_id=b"p"), "parent_id"),
        (lambda: StepCall(id="x", semantics="SOMETIMES"), "semantics"),
        (lambda: StepCall(id="x", profile="java"), "profile"),
        (lambda: step.begin("op-1", None, now_ms=NOW), "call"),
        (lambda: step.begin(PY, None, now_ms="now"), "now_ms"),
        (lambda: step.begin(PY, "SUCCEEDED", now_ms=NOW), "operation"),
        (lambda: step.begin(PY, None, now_ms=NOW, strategy="default"), "strategy"),
        (lambda: step.complete(PY, 1.0, Success(None), now_ms=NOW), "attempt"),
        (lambda: step.complete(PY, 1, Success(b"bytes"), now_ms=NOW), "payload"),
        (lambda: step.complete(PY, 1, "ok", now_ms=NOW), "outcome"),
        (lambda: step.begin_json(42), "request"),
    ],
)
def test_host_side_rejections_name_the_field(build, field):
    with pytest.raises((InvalidInputError, InvalidTypeError)) as raised:
        build()
    assert raised.value.field == field


def test_json_passthroughs_speak_the_core_contract():
    response = step.begin_json({"id": "x", "now_ms": NOW, "operation": None})
    assert response == {
        "updates": ['{"Type":"STEP","Action":"START","Id":"x","SubType":"Step"}'],
        "action": {"kind": "execute", "attempt": 1, "send_start": True, "await_start": False},
    }
    response = step.complete_json(
        {"id": "x", "now_ms": NOW, "attempt": 1, "outcome": {"success": {"payload": "1"}}}
    )
    assert response["updates"] == [
        '{"Type":"STEP","Action":"SUCCEED","Id":"x","SubType":"Step","Payload":"1"}'
    ]
    with pytest.raises(InvalidInputError, match="durable-core field request"):
        step.begin_json('{"id": ')
    with pytest.raises(InvalidInputError, match="durable-core field strategy"):
        step.begin_json({"id": "x", "now_ms": NOW, "strategy": 999_999})


def test_a_registered_strategy_is_passed_by_handle_and_survives_a_new_instance(monkeypatch):
    rt = Runtime()
    monkeypatch.setattr("durable_core._runtime._runtime", rt)
    strategy = retry.Strategy(retry.linear(initial_delay=7, jitter="NONE"), profile="python")
    first = step.complete(PY, 1, ValueError("x"), now_ms=NOW, strategy=strategy)
    assert json.loads(first.updates[0])["StepOptions"] == {"NextAttemptDelaySeconds": 7}
    rt._instance = None  # what a trap does: the registry is gone with the instance
    again = step.complete(PY, 1, ValueError("x"), now_ms=NOW, strategy=strategy)
    assert again == first


def test_error_object_round_trips_the_wire_shape():
    wire = {"ErrorType": "T", "ErrorMessage": "m", "ErrorData": "d", "StackTrace": ["a", "b"]}
    assert ErrorObject.from_wire(wire).to_wire() == wire
    assert ErrorObject.from_wire(None) == ErrorObject()
