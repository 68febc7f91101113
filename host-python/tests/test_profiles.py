"""Release profile names (python@3.0.0, ts@2.4.0) are accepted by every API that takes a profile
and answer exactly as their aliases do; unknown releases are a ValueError naming the field."""

import pytest
from botocore.exceptions import ClientError

import durable_core
from durable_core import StepCall, retry, step
from durable_core._types import parse_profile
from durable_core.invocation import Engine, InvocationFailed

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


class FailingTransport:
    """Every checkpoint fails with the service's stale-token error."""

    def checkpoint(self, arn, token, updates):
        raise ClientError(
            {
                "Error": {
                    "Code": "InvalidParameterValueException",
                    "Message": "Invalid checkpoint token: superseded",
                },
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            "CheckpointDurableExecution",
        )

    def get_state(self, arn, token, marker, max_items):
        raise AssertionError("no state to fetch")


@pytest.mark.parametrize(("alias", "release"), PAIRS)
def test_the_engine_classifies_checkpoint_failures_alike(alias, release):
    outcomes = []
    for profile in (alias, release):
        event = {"DurableExecutionArn": ARN, "CheckpointToken": "t0"}
        engine = Engine(event, FailingTransport(), profile=profile, random=lambda: 0.5)
        try:
            engine.step(0, "charge", lambda attempt: "1", semantics="AT_MOST_ONCE_PER_RETRY")
        except BaseException:  # the stopped invocation unwinds the handler
            pass
        try:
            outcomes.append(("FAILED", engine.finish_stopped()))
        except InvocationFailed as failed:
            outcomes.append(("INVOCATION", failed.rule))
    assert outcomes[0] == outcomes[1]
    # The service's spelling is a stale token to Python 3.0.0; JS 2.4.0 fails the execution.
    assert outcomes[0][0] == ("INVOCATION" if alias == "python" else "FAILED")


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
