"""Release profile names (python@3.0.0, ts@2.4.0) are accepted by every API that takes a profile
and answer exactly as their aliases do; unknown releases are a ValueError naming the field."""

import pytest
from step_memory import MemoryService, client_error

import durable_core
from durable_core import CheckpointFailed, CheckpointToken, StepCall, retry, run_step, step
from durable_core._types import parse_profile

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/f/1"
PAIRS = [("python", "python@3.0.0"), ("ts", "ts@2.4.0")]


@pytest.mark.parametrize(("alias", "release"), PAIRS)
def test_retry_decisions_agree(alias, release):
    for preset in ("default", "linear"):
        by_alias = retry.Strategy(retry.preset(preset), profile=alias)
        by_release = retry.Strategy(retry.preset(preset), profile=release)
        for attempt in (1, 2, 3, 7):
            for draw in (0.0, 0.5, 0.99):
                assert by_release.decide(attempt, message="x", random=draw) == by_alias.decide(
                    attempt, message="x", random=draw
                )
    assert retry.decide("default", 2, profile=release, message="x", random=0.5) == retry.decide(
        "default", 2, profile=alias, message="x", random=0.5
    )


@pytest.mark.parametrize(("alias", "release"), PAIRS)
def test_step_calls_agree(alias, release):
    assert step.operation_id(release, None, 3) == step.operation_id(alias, None, 3)
    by_alias = step.begin(StepCall(id="op-1", name="charge", profile=alias), None, now_ms=1)
    by_release = step.begin(StepCall(id="op-1", name="charge", profile=release), None, now_ms=1)
    assert by_release == by_alias


@pytest.mark.parametrize(("alias", "release"), PAIRS)
def test_run_step_classifies_checkpoint_failures_alike(alias, release):
    outcomes = []
    for profile in (alias, release):
        service = MemoryService()
        service.fail_next = client_error(
            400,
            "InvalidParameterValueException",
            "Invalid checkpoint token: superseded",
            "CheckpointDurableExecution",
        )
        with pytest.raises(CheckpointFailed) as failed:
            run_step(
                service,
                execution_arn=ARN,
                checkpoint_token=CheckpointToken(service.token),
                call=StepCall(id="op-1", name="charge"),
                fn=lambda attempt: 1,
                profile=profile,
                clock=service.clock,
                random=0.5,
            )
        outcomes.append((failed.value.category, failed.value.rule))
    assert outcomes[0] == outcomes[1]


def test_aws_adapter_accepts_a_release_name():
    by_release = durable_core.aws.retry_strategy(retry.preset("default"), profile="python@3.0.0")
    by_alias = durable_core.aws.retry_strategy(retry.preset("default"), profile="python")
    error = RuntimeError("boom")
    assert by_release(error, 1).should_retry == by_alias(error, 1).should_retry


@pytest.mark.parametrize("bad", ["ts@2.3.0", "python@", "Python", "java"])
def test_unknown_profiles_name_the_field(bad):
    for call in (
        lambda: parse_profile(bad),
        lambda: retry.Strategy(retry.preset("default"), profile=bad),
        lambda: step.operation_id(bad, None, 1),
        lambda: StepCall(id="op-1", profile=bad),
        lambda: durable_core.classify_api_error(500, profile=bad),
    ):
        with pytest.raises(ValueError, match="profile"):
            call()
