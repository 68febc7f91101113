"""The invocation engine's transport for the real service API, over a botocore ``lambda`` client.

    import boto3
    from durable_core.service import LambdaTransport
    engine = Engine(event, LambdaTransport(boto3.client("lambda")), profile="python")

Updates go out as CheckpointDurableExecution ``Updates`` (the core writes them in the service
shape already); responses come back with botocore's datetimes turned into epoch milliseconds,
the shape of the invocation input, which is what the core reads. Errors are left as botocore
raises them, for the core to classify.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .errors import invalid, wrong_type
from .step import epoch_ms

# OperationUpdate members of the service model (botocore lambda, CheckpointDurableExecution).
_UPDATE_MEMBERS = frozenset(
    (
        "Id",
        "ParentId",
        "Name",
        "Type",
        "SubType",
        "Action",
        "Payload",
        "Error",
        "ContextOptions",
        "StepOptions",
        "WaitOptions",
        "CallbackOptions",
        "ChainedInvokeOptions",
    )
)


class LambdaTransport:
    """The invocation engine's ``Transport`` over a botocore ``lambda`` client: one
    CheckpointDurableExecution or GetDurableExecutionState call, the response body back with
    datetimes as epoch milliseconds. Failures are raised as botocore raises them."""

    def __init__(self, lambda_client: Any) -> None:
        for method in ("checkpoint_durable_execution", "get_durable_execution_state"):
            if not callable(getattr(lambda_client, method, None)):
                raise wrong_type(
                    "lambda_client", lambda_client, f"a botocore lambda client (no {method})"
                )
        self._client = lambda_client

    def checkpoint(
        self, execution_arn: str, checkpoint_token: str, updates: list[dict[str, Any]]
    ) -> dict[str, Any]:
        response = self._client.checkpoint_durable_execution(
            DurableExecutionArn=execution_arn,
            CheckpointToken=checkpoint_token,
            Updates=[to_request_update(u) for u in updates],
        )
        return _body(response)

    def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int
    ) -> dict[str, Any]:
        response = self._client.get_durable_execution_state(
            DurableExecutionArn=execution_arn,
            CheckpointToken=checkpoint_token,
            Marker=marker,
            MaxItems=max_items,
        )
        return _body(response)


def _body(response: Mapping[str, Any]) -> dict[str, Any]:
    """The response without botocore's metadata, timestamps as epoch milliseconds."""
    return {k: to_wire(v) for k, v in response.items() if k != "ResponseMetadata"}


def to_request_update(update: Mapping[str, Any]) -> dict[str, Any]:
    """An OperationUpdate as the JSON the core writes it -> botocore's ``Updates`` item.
    The names are the model's; absent (None) members are dropped, unknown ones rejected
    here rather than by botocore's less specific parameter validation."""
    if not isinstance(update, Mapping):
        raise wrong_type("updates", update, "OperationUpdate mappings")
    out: dict[str, Any] = {}
    for key, value in update.items():
        if key not in _UPDATE_MEMBERS:
            raise invalid(f"updates.{key}", value, "a member of OperationUpdate")
        if value is not None:
            out[key] = dict(value) if isinstance(value, Mapping) else value
    return out


def to_wire(value: Any) -> Any:
    """A botocore response value with every datetime as epoch milliseconds, recursively."""
    if isinstance(value, datetime):
        return epoch_ms(value)
    if isinstance(value, Mapping):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    return value
