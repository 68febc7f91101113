"""One step update as the Python SDK hands it to boto3, and as botocore puts it on HTTP.

The `step` vectors state python updates as `json.dumps(OperationUpdate.to_dict(),
separators=(",", ":"))`. This script sends one RETRY through the SDK's real `LambdaClient` and a
real botocore `lambda` client whose HTTP send is intercepted, and shows that the request body
holds the same update with the same key order and the same ASCII escaping; botocore only adds a
space after `,` and `:` (and puts DurableExecutionArn in the URL, ClientToken in the body).

    .venv/bin/python tests/evidence/wire_layers.py
"""

from __future__ import annotations

import json

from aws_durable_execution_sdk_python.identifier import OperationIdentifier
from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    LambdaClient,
    OperationType,
    OperationUpdate,
)
from botocore.awsrequest import AWSResponse
from botocore.session import get_session

ARN = "arn:aws:lambda:us-east-1:123456789012:function:evidence:$LATEST/durable-execution/run/e"


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: object):  # noqa: ANN201
        yield self.data


def main() -> int:
    client = get_session().create_client(
        "lambda", region_name="us-east-1", aws_access_key_id="AKID", aws_secret_access_key="x"
    )
    bodies: list[bytes] = []

    def send(request, **_):  # noqa: ANN001, ANN202
        bodies.append(request.body)
        return AWSResponse(
            request.url, 200, {"content-type": "application/json"}, _Body(b'{"CheckpointToken":"t"}')
        )

    client.meta.events.register("before-send.lambda.CheckpointDurableExecution", send)
    identifier = OperationIdentifier(
        operation_id="c0ffee",
        sub_type="Step",
        parent_id="feed",
        name="na\u00efve",
        operation_type=OperationType.STEP,
    )
    update = OperationUpdate.create_step_retry(
        identifier=identifier,
        error=ErrorObject.from_exception(ValueError("h\u00e9 \x7f")),
        next_attempt_delay_seconds=3,
    )
    LambdaClient(client=client).checkpoint(ARN, "token", [update], None)
    compact = json.dumps(update.to_dict(), separators=(",", ":"))
    on_http = json.loads(bodies[0])["Updates"][0]
    print("vector form :", compact)
    print("HTTP body   :", bodies[0].decode())
    same = compact == json.dumps(on_http, separators=(",", ":"))
    print("same keys, order and escaping (whitespace aside):", same)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
