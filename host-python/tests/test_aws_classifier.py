"""durable_core.aws.classifying_client: aws-durable-execution-sdk-python classifies its failed
checkpoint / state calls with durable-core, through the SDK's own error conversion (LambdaClient ->
CheckpointError / GetExecutionStateError). The end-to-end runs on the local service are the
conformance suite checkpoint-faults (tests/conformance)."""

from typing import Any

import pytest
from aws_durable_execution_sdk_python.exceptions import (
    CheckpointError,
    DurableApiErrorCategory,
    GetExecutionStateError,
)
from aws_durable_execution_sdk_python.lambda_service import LambdaClient
from botocore.exceptions import ClientError, ReadTimeoutError

from durable_core import aws


def client_error(status: int, code: str, message: str, operation: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


class FailingLambda:
    """The two boto3 methods the SDK calls; each raises the given error."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def checkpoint_durable_execution(self, **params: Any) -> Any:
        self.calls.append(("checkpoint", params))
        raise self.error

    def get_durable_execution_state(self, **params: Any) -> Any:
        self.calls.append(("get-state", params))
        raise self.error

    def meta_attribute(self) -> str:
        return "passed through"


def checkpoint_category(client: Any) -> DurableApiErrorCategory:
    with pytest.raises(CheckpointError) as raised:
        LambdaClient(client=client).checkpoint("arn", "token", [], None)
    return raised.value.error_category


def state_category(client: Any) -> DurableApiErrorCategory:
    with pytest.raises(GetExecutionStateError) as raised:
        LambdaClient(client=client).get_execution_state("arn", "token", "marker")
    return raised.value.error_category


INVOCATION, EXECUTION = DurableApiErrorCategory.INVOCATION, DurableApiErrorCategory.EXECUTION
STALE = ("InvalidParameterValueException", "Invalid checkpoint token")
TITLE = ("InvalidParameterValueException", "Invalid Checkpoint Token: expired")


@pytest.mark.parametrize(
    ("status", "code", "message", "sdk", "unified", "python", "ts"),
    [
        # the service's stale-token spelling: Python retries, JS (profile ts) fails the execution
        (400, *STALE, INVOCATION, INVOCATION, INVOCATION, EXECUTION),
        # the title-case spelling no service sends: Python fails, unified and ts retry
        (400, *TITLE, EXECUTION, INVOCATION, EXECUTION, INVOCATION),
        (502, "KMSDisabledException", "key disabled", EXECUTION, EXECUTION, EXECUTION, EXECUTION),
        (429, "TooManyRequestsException", "x", INVOCATION, INVOCATION, INVOCATION, INVOCATION),
    ],
)  # fmt: skip
def test_the_profile_decides_and_the_sdk_obeys(status, code, message, sdk, unified, python, ts):
    def error() -> ClientError:
        return client_error(status, code, message, "CheckpointDurableExecution")

    assert checkpoint_category(FailingLambda(error())) == sdk  # not wrapped: the SDK's own rule
    assert checkpoint_category(aws.classifying_client(FailingLambda(error()))) == unified
    for profile, expected in (("python", python), ("ts", ts)):
        wrapped = aws.classifying_client(FailingLambda(error()), profile=profile)
        assert checkpoint_category(wrapped) == expected, profile


def test_profile_python_reproduces_the_sdk_on_both_apis():
    cases = [
        client_error(400, "InvalidParameterValueException", "Invalid checkpoint token", "x"),
        client_error(400, *TITLE, "x"),
        client_error(500, "ServiceException", "boom", "x"),
        client_error(404, "ResourceNotFoundException", "gone", "x"),
    ]
    for error in cases:
        own = (checkpoint_category(FailingLambda(error)), state_category(FailingLambda(error)))
        wrapped = aws.classifying_client(FailingLambda(error), profile="python")
        assert (checkpoint_category(wrapped), state_category(wrapped)) == own, error


def test_a_read_timeout_breaks_the_sdks_conversion_with_or_without_the_wrapper():
    """SDK 3.0.0 defect: botocore's ReadTimeoutError has ``response = None``, and
    BotoClientError.from_exception calls ``None.get``: the SDK raises AttributeError instead of
    a CheckpointError. The invocation still fails (so the service re-invokes, as it should);
    the wrapper neither hides nor adds anything here (measured in checkpoint-faults CF-6)."""
    for client in (
        FailingLambda(ReadTimeoutError(endpoint_url="http://127.0.0.1:1")),
        aws.classifying_client(FailingLambda(ReadTimeoutError(endpoint_url="http://127.0.0.1:1"))),
    ):
        with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'get'"):
            LambdaClient(client=client).checkpoint("arn", "token", [], None)


def test_the_wrapper_passes_calls_and_attributes_through():
    inner = FailingLambda(client_error(500, "ServiceException", "x", "x"))
    wrapped = aws.classifying_client(inner)
    with pytest.raises(ClientError) as raised:
        wrapped.checkpoint_durable_execution(DurableExecutionArn="a", CheckpointToken="t")
    assert inner.calls == [("checkpoint", {"DurableExecutionArn": "a", "CheckpointToken": "t"})]
    assert raised.value.__durable_core_classification__.rule == "server-error"  # type: ignore[attr-defined]
    assert wrapped.meta_attribute() == "passed through"


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="client"):
        aws.classifying_client(object())
    with pytest.raises(ValueError, match="profile"):
        aws.classifying_client(FailingLambda(RuntimeError()), profile="java")


def test_an_untested_sdk_version_is_refused(monkeypatch):
    monkeypatch.setattr(aws, "_installed", False)
    monkeypatch.setattr("importlib.metadata.version", lambda _name: "3.1.0")
    with pytest.raises(aws.UnsupportedSdkVersion, match=r"tested with .*3\.0\.0, not 3\.1\.0"):
        aws.classifying_client(FailingLambda(RuntimeError()))
