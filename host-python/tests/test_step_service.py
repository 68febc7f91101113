"""LambdaTransport: the request shapes botocore's lambda model accepts, and the responses
turned into the service's JSON shape. Requests are checked against botocore's lambda model
(the Stubber alone does not validate parameters)."""

import json
from datetime import UTC, datetime

import botocore.session
import pytest
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber
from botocore.validate import validate_parameters

from durable_core import StepCall, step
from durable_core.service import LambdaTransport, to_request_update

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/f/1"
WHEN = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
WHEN_MS = 1767323045678


@pytest.fixture
def lambda_client():
    client = botocore.session.get_session().create_client(
        "lambda",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber


def validate(client, operation, params):
    shape = client.meta.service_model.operation_model(operation).input_shape
    validate_parameters(params, shape)


def core_updates():
    call = StepCall(id="op-1", name="charge", parent_id="ctx-1", profile="python")
    succeed = step.complete(call, 1, step.Success('"ok"'), now_ms=WHEN_MS).updates
    retry = step.complete(call, 1, ValueError("x"), now_ms=WHEN_MS, random=0.5).updates
    return [json.loads(u) for u in succeed + retry]


def test_checkpoint_sends_the_core_updates_as_the_model_shape(lambda_client):
    client, stubber = lambda_client
    updates = core_updates()
    stubber.add_response(
        "checkpoint_durable_execution",
        {
            "CheckpointToken": "next",
            "NewExecutionState": {
                "Operations": [
                    {
                        "Id": "op-1",
                        "Type": "STEP",
                        "Status": "PENDING",
                        "StartTimestamp": WHEN,
                        "StepDetails": {"Attempt": 1, "NextAttemptTimestamp": WHEN},
                    }
                ],
                "NextMarker": "",
            },
        },
        {"DurableExecutionArn": ARN, "CheckpointToken": "tok", "Updates": updates},
    )
    result = LambdaTransport(client).checkpoint(ARN, "tok", updates)
    validate(
        client,
        "CheckpointDurableExecution",
        {"DurableExecutionArn": ARN, "CheckpointToken": "tok", "Updates": updates},
    )
    assert result == {
        "CheckpointToken": "next",
        "NewExecutionState": {
            "Operations": [
                {
                    "Id": "op-1",
                    "Type": "STEP",
                    "Status": "PENDING",
                    "StartTimestamp": WHEN_MS,
                    "StepDetails": {"Attempt": 1, "NextAttemptTimestamp": WHEN_MS},
                }
            ],
            "NextMarker": "",
        },
    }
    stubber.assert_no_pending_responses()


def test_get_state_pages_with_marker_and_max_items(lambda_client):
    client, stubber = lambda_client
    stubber.add_response(
        "get_durable_execution_state",
        {
            "Operations": [{"Id": "a", "Type": "STEP", "Status": "READY", "StartTimestamp": WHEN}],
            "NextMarker": "m2",
        },
        {"DurableExecutionArn": ARN, "CheckpointToken": "tok", "MaxItems": 1000, "Marker": "m1"},
    )
    page = LambdaTransport(client).get_state(ARN, "tok", "m1", 1000)
    assert page == {
        "Operations": [{"Id": "a", "Type": "STEP", "Status": "READY", "StartTimestamp": WHEN_MS}],
        "NextMarker": "m2",
    }


def test_service_errors_surface_as_botocore_raises_them(lambda_client):
    client, stubber = lambda_client
    stubber.add_client_error(
        "checkpoint_durable_execution",
        service_error_code="InvalidParameterValueException",
        service_message="Invalid checkpoint token",
        http_status_code=400,
    )
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        LambdaTransport(client).checkpoint(ARN, "t", [])


def test_unknown_update_members_are_rejected_naming_the_member():
    with pytest.raises(ValueError, match=r"updates\.Options"):
        to_request_update({"Id": "a", "Options": {}})
    assert to_request_update({"Id": "a", "Name": None}) == {"Id": "a"}


def test_the_model_check_would_catch_a_wrong_shape(lambda_client):
    client, _ = lambda_client
    update = {
        "Id": "a",
        "Type": "STEP",
        "Action": "RETRY",
        "StepOptions": {"NextAttemptDelaySeconds": "3"},
    }
    with pytest.raises(ParamValidationError):
        validate(
            client,
            "CheckpointDurableExecution",
            {"DurableExecutionArn": ARN, "CheckpointToken": "t", "Updates": [update]},
        )


def test_constructor_checks():
    with pytest.raises(TypeError, match="lambda_client"):
        LambdaTransport(object())
