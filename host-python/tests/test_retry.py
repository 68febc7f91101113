import re
from datetime import timedelta

import pytest

import durable_core
from durable_core import retry
from durable_core._runtime import Runtime


class TransientError(RuntimeError):
    pass


class FatalError(Exception):
    pass


def test_presets_come_from_the_core_per_profile():
    critical = retry.Strategy("critical", profile="python")
    assert critical.effective.max_attempts == 10
    assert critical.effective.backoff_rate == 1.5
    delays = [critical.decide(n, message="x").delay_seconds for n in range(1, 10)]
    assert delays == [1, 2, 3, 4, 6, 8, 12, 18, 26]  # ceil (sdk-behaviour.md 2.6)
    unified = retry.Strategy("critical", profile="unified")
    assert [unified.decide(n, message="x").delay_seconds for n in range(1, 10)] == [
        1,
        2,
        2,
        3,
        5,
        8,
        11,
        17,
        26,  # Math.round
    ]
    with pytest.raises(ValueError, match="preset") as raised:
        retry.Strategy(retry.preset("resource_availability"), profile="ts")
    assert raised.value.field == "preset"


def test_defaults_are_reported_by_the_core():
    assert retry.Strategy(retry.linear()).effective == retry.EffectiveConfig(
        backoff="linear",
        max_attempts=6,
        initial_delay=1.0,
        max_delay=300.0,
        backoff_rate=2.0,
        increment=1.0,
        jitter="FULL",
        retries_every_error=True,
    )


def test_durations_accept_numbers_timedeltas_and_sdk_durations():
    from aws_durable_execution_sdk_python.config import Duration

    for value in (7, 7.0, timedelta(seconds=7), Duration.from_seconds(7)):
        config = retry.exponential(initial_delay=value, jitter="NONE")
        assert retry.Strategy(config).decide(1, message="").delay_seconds == 7


def test_filters_use_the_message_and_the_class_chain():
    config = retry.exponential(
        retryable_errors=["throttl", re.compile(r"^time.?out$", re.IGNORECASE)],
        retryable_error_types=[TransientError],
        jitter="NONE",
    )
    strategy = retry.Strategy(config, profile="python")
    assert strategy.decide(1, error=ValueError("Throttled? no: throttling")).should_retry
    assert strategy.decide(1, error=ValueError("Time-Out")).should_retry
    assert strategy.decide(1, error=TransientError("anything")).should_retry
    assert strategy.decide(1, error=FatalError("fatal")).outcome == "not-retryable"
    # An explicitly empty list retries nothing; unset lists retry everything.
    assert retry.Strategy(retry.exponential(retryable_errors=[])).decide(
        1, message="x"
    ).outcome == ("not-retryable")
    assert retry.Strategy(retry.exponential()).decide(1, message="x").should_retry


def test_the_chain_is_qualified_like_the_configured_types():
    names = retry.exception_type_names(TransientError)
    assert names == [f"{__name__}.TransientError", "RuntimeError", "Exception", "BaseException"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 2.5}, "max_attempts"),
        ({"max_attempts": float("nan")}, "max_attempts"),
        ({"initial_delay": -1}, "initial_delay"),
        ({"max_delay": float("inf")}, "max_delay"),
        ({"backoff_rate": -0.5}, "backoff_rate"),
        ({"backoff_rate": float("nan")}, "backoff_rate"),
        ({"jitter": "half"}, "jitter"),
        ({"retryable_errors": [re.compile(r"(?<=a)b")]}, "retryable_errors"),
    ],
)
def test_invalid_configs_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field) as raised:
        retry.Strategy(retry.exponential(**kwargs))
    assert raised.value.field == field
    assert isinstance(raised.value, durable_core.DurableCoreError)


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"max_attempts": "3"}, TypeError, "max_attempts"),
        ({"max_attempts": True}, TypeError, "max_attempts"),
        ({"retryable_errors": "timeout"}, TypeError, "retryable_errors"),
        ({"retryable_errors": [re.compile("a", re.VERBOSE)]}, ValueError, "retryable_errors"),
        ({"retryable_error_types": [3]}, TypeError, "retryable_error_types"),
        ({"jitter": 1}, TypeError, "jitter"),
        ({"retryable_errors": ["lone \udcff"]}, ValueError, "retryable_errors"),
    ],
)
def test_wrong_types_are_rejected_by_the_host(kwargs, error, field):
    with pytest.raises(error, match=field):
        retry.exponential(**kwargs)


@pytest.mark.parametrize(
    ("attempts", "random", "field"),
    [
        (0, 0.5, "attempts_made"),
        (1.5, 0.5, "attempts_made"),
        (1, 1.0, "random"),
        (1, -0.1, "random"),
    ],
)
def test_invalid_decision_inputs_name_the_field(attempts, random, field):
    with pytest.raises(ValueError, match=field):
        retry.Strategy().decide(attempts, message="x", random=random)


def test_large_attempt_numbers_cap_cleanly():
    strategy = retry.Strategy(
        retry.exponential(max_attempts=10_000, backoff_rate=2, jitter="NONE"), profile="python"
    )
    assert strategy.decide(1000, message="x").delay_seconds == 300
    assert strategy.decide(5000, message="x").delay_seconds == 300


def test_a_strategy_survives_an_instance_re_creation(monkeypatch):
    fresh = Runtime()
    monkeypatch.setattr("durable_core._runtime._runtime", fresh)
    strategy = retry.Strategy(retry.exponential(jitter="NONE"))
    assert strategy.decide(1, message="x").delay_seconds == 5
    fresh._instance = None  # what a trap does: the registry inside the instance is gone
    assert strategy.decide(2, message="x").delay_seconds == 10
    assert fresh.instances_created == 2


def test_strategies_are_released_when_collected(monkeypatch):
    fresh = Runtime()
    monkeypatch.setattr("durable_core._runtime._runtime", fresh)
    first = retry.Strategy()
    first.decide(1, message="x")
    handle = first._handle
    del first
    second = retry.Strategy()
    second.decide(1, message="x")
    assert second._handle == handle  # the released slot is reused


def test_aws_adapter_returns_the_sdks_own_decision_type():
    from aws_durable_execution_sdk_python.retries import RetryDecision

    strategy = durable_core.aws.retry_strategy(retry.preset("fixed", interval=12))
    decision = strategy(RuntimeError("x"), 1)
    assert isinstance(decision, RetryDecision)
    assert (decision.should_retry, decision.delay_seconds) == (True, 12)
    assert strategy(RuntimeError("x"), 5).should_retry is False


def test_configs_built_by_hand_may_hold_integers():
    config = retry.StrategyConfig(initial_delay=2, max_attempts=3, jitter="NONE")
    assert retry.Strategy(config, profile="python").decide(2, message="x").delay_seconds == 4
