"""Inputs that used to give an untyped error, a trap or a silently different answer: each is now
a typed error naming the field (or the right answer), as on the Node host."""

from __future__ import annotations

import datetime
import math

import pytest

import durable_core
from durable_core import ComponentTrapError, DurableCoreError, retry, step
from durable_core.invocation import Engine, InvocationFailed, Stopped

CALL = step.StepCall(id="c4ca4238a0b92382", name="charge", profile="ts")


def rejects(field: str, run) -> DurableCoreError:
    """A typed error (InvalidInputError or InvalidTypeError) naming ``field``; never a trap."""
    with pytest.raises(DurableCoreError) as raised:
        run()
    assert not isinstance(raised.value, ComponentTrapError), raised.value
    assert raised.value.field == field, raised.value
    return raised.value


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400])
def test_now_ms_that_json_cannot_carry_names_now_ms(value):
    rejects("now_ms", lambda: step.begin(CALL, None, now_ms=value))
    rejects("now_ms", lambda: step.complete(CALL, 1, step.Success("1"), now_ms=value))


def test_huge_counts_name_their_field():
    rejects("attempt", lambda: step.complete(CALL, 10**400, step.Success("1"), now_ms=1))
    rejects("random", lambda: step.begin(CALL, None, now_ms=1, random=math.nan))
    strategy = retry.Strategy(retry.exponential(), profile="python")
    rejects("attempts_made", lambda: strategy.decide(10**400, message="x"))
    for field in ("max_attempts", "initial_delay", "max_delay", "backoff_rate"):
        rejects(field, lambda f=field: retry.exponential(**{f: 10**400}))


def test_a_lone_surrogate_in_an_operation_id_parent_names_parent():
    rejects("parent", lambda: step.operation_id("ts", "\ud800", 1))
    rejects("parent", lambda: step.operation_id("python", "a\udfffb", 2))


def test_a_raw_lone_surrogate_in_request_text_is_rejected_not_replaced():
    text = '{"profile":"ts","id":"c4ca4238a0b92382","name":"\ud800","now_ms":1}'
    rejects("request", lambda: step.begin_json(text))
    # Escaped, the core itself rejects it; with the surrogate replaced both would be answers.
    escaped = '{"profile":"ts","id":"c4ca4238a0b92382","name":"\\ud800","now_ms":1}'
    rejects("request", lambda: step.begin_json(escaped))


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (retry.StrategyConfig(backoff="cubic"), "backoff"),
        (retry.StrategyConfig(retryable_errors=(("perl", "x", ""),)), "retryable_errors"),
        (retry.StrategyConfig(retryable_errors=(("substring", 5, ""),)), "retryable_errors"),
        (retry.StrategyConfig(jitter=5), "jitter"),  # type: ignore[arg-type]
        (retry.StrategyConfig(retryable_error_types=(5,)), "retryable_error_types"),  # type: ignore[arg-type]
        (retry.StrategyConfig(retryable_error_types="abc"), "retryable_error_types"),  # type: ignore[arg-type]
        (retry.StrategyConfig(retryable_errors=(("substring", "x"),)), "retryable_errors"),  # type: ignore[arg-type]
        (retry.Preset("fixed", interval="x"), "interval"),  # type: ignore[arg-type]
        (retry.Preset("fixed", interval=10**400), "interval"),
        (retry.Preset(5), "preset"),  # type: ignore[arg-type]
    ],
)
def test_a_hand_built_config_with_a_bad_enum_or_type_is_a_typed_error_not_a_trap(config, field):
    runtime = durable_core._runtime.runtime()
    retry.Strategy(retry.exponential(), profile="python")  # on the backend that takes records
    generation = runtime.generation
    rejects(field, lambda: retry.Strategy(config, profile="python"))
    assert runtime.generation == generation  # the instance was not discarded


def test_an_error_class_name_with_a_newline_is_one_name():
    class Weird(Exception):
        pass

    Weird.__qualname__ = "We\nird"
    name = f"{Weird.__module__}.We\nird"
    split = retry.Strategy(retry.exponential(retryable_error_types=["ird"]), profile="python")
    assert split.decide(1, error=Weird("x")).outcome == "not-retryable"
    whole = retry.Strategy(
        retry.exponential(retryable_error_types=[name], jitter="NONE"), profile="python"
    )
    assert whole.decide(1, error=Weird("x")) == retry.Decision("retry", 5)
    assert whole.decide(1, error=TimeoutError("x")).outcome == "not-retryable"


@pytest.mark.parametrize(
    ("outcome", "field"),
    [
        ({"success": 5}, "outcome.success"),
        ({"failure": 5}, "outcome.failure"),
        ({"success": {}, "failure": {}}, "outcome"),
    ],
)
def test_an_outcome_must_be_exactly_one_object(outcome, field):
    request = {"profile": "ts", "id": "c4ca4238a0b92382", "now_ms": 1, "attempt": 1}
    rejects(field, lambda: step.complete_json({**request, "outcome": outcome}))


@pytest.mark.parametrize("answer", ["", "x", "[1]", '{"a":', b"\xff", "null"])
def test_an_answer_from_the_core_that_is_not_an_object_is_an_error_naming_it(answer):
    from durable_core.invocation import _read_answer

    with pytest.raises(RuntimeError, match="not a JSON object"):
        _read_answer(answer)


def _deeply_nested() -> dict:
    body: dict = {"CheckpointToken": "t1"}
    inner = body
    for _ in range(100_000):
        inner["x"] = {}
        inner = inner["x"]
    return body


def _cyclic() -> dict:
    body: dict = {"CheckpointToken": "t1"}
    body["self"] = body
    return body


@pytest.mark.parametrize(
    "body",
    [
        {"CheckpointToken": "t1", "When": datetime.datetime(2026, 1, 1)},
        _cyclic(),
        _deeply_nested(),
        {"CheckpointToken": "t1", "n": float("nan")},
    ],
    ids=["datetime", "cycle", "deep", "nan"],
)
def test_a_checkpoint_body_json_cannot_carry_is_an_unreadable_response(body):
    # A transport answering with one used to raise out of the step with a call still in flight;
    # now the invocation stops as for a body that is not JSON, and fails so Lambda retries it.
    class Transport:
        def checkpoint(self, arn, token, updates):
            return body

        def get_state(self, arn, token, marker, max_items):
            return {"Operations": []}

    arn = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/run/e"
    engine = Engine(
        {"DurableExecutionArn": arn, "CheckpointToken": "t0"}, Transport(), profile="ts"
    )
    with pytest.raises(Stopped):
        engine.step(0, "s", lambda attempt: 1)
    with pytest.raises(InvocationFailed) as failed:
        engine.finish_stopped()
    assert failed.value.rule == "unreadable-response"
